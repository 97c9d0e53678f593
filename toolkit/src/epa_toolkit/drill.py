"""`make drill ENV=staging SCENARIO=az-outage`: a failure drill with AWS Fault Injection
Service, measured, inspected and recorded.

    python -m epa_toolkit.drill --project service-desk --environment staging \\
        --region eu-west-2 --scenario task-loss --url https://... [--yes]

1. finds the environment's experiment template by its tags (project, environment and
   scenario: infra/components/drills.py creates them where failureDrills is on);
2. asks you to type the environment's name (--yes skips it, for a pipeline);
3. starts the experiment, drives steady load with the project's load test (Locust) and
   probes the public /readyz and /version every few seconds until the experiment has ended
   and the observation time is over;
4. measures requests, errors and latency under load, and the time to recover: from the
   first probe that missed the target to the first of the healthy probes that lasted to
   the end. A probe is healthy when both answer 200 within the latency target of
   loadtest/targets.yaml (its `GET /readyz` endpoint target, else `p95_ms`);
5. runs the inspection (reports/inspection/) and writes the record to
   docs/records/recovery/<date>-<environment>-drill-<scenario>.md, with a section for your
   analysis. A real incident is recorded in the same format (docs/records/recovery/README.md).

Exit codes: 0 recovered; 1 not recovered within the observation time, or the experiment
did not complete; 2 could not run (no template, not confirmed, no credentials).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from epa_toolkit import load_test
from project_facts import project_root

ROOT = project_root()
RECORDS = ROOT / "docs" / "records" / "recovery"
INSPECTION = ROOT / "reports" / "inspection"
SCENARIOS = ("az-outage", "task-loss", "db-failover")  # infra/components/drills.py
DONE = {"completed", "stopped", "failed", "cancelled"}  # FIS's final experiment states
HEALTHY_STREAK = 3  # healthy probes in a row that count as recovered
GIVE_UP_AFTER = 1800  # seconds past the observation time an experiment may still run


class DrillError(Exception):
    """The drill cannot run: the message says why and what to do."""


# --- Finding and confirming ---------------------------------------------------------------


def find_template(fis, project: str, environment: str, scenario: str) -> dict:
    """The experiment template tagged with the project, environment and scenario."""
    found, seen_here, token = [], set(), None
    while True:
        page = fis.list_experiment_templates(**({"nextToken": token} if token else {}))
        for template in page.get("experimentTemplates", []):
            tags = template.get("tags", {})
            if tags.get("project") == project and tags.get("environment") == environment:
                seen_here.add(tags.get("scenario"))
                if tags.get("scenario") == scenario:
                    found.append(template)
        token = page.get("nextToken")
        if not token:
            break
    if not seen_here:
        raise DrillError(
            f"{environment} has no failure drills: no experiment template is tagged "
            f"project={project}, environment={environment}. Drills exist where the profile's "
            "failureDrills is on (staging and prod by default, never dev: one task and a "
            "single-AZ database have nothing to fail over to); deploy the stack first."
        )
    if len(found) != 1:
        raise DrillError(
            f"{environment}: {len(found)} templates for scenario {scenario!r} "
            f"(it has: {', '.join(sorted(s for s in seen_here if s))}); expected exactly one."
        )
    return found[0]


def confirm(environment: str, yes: bool, ask: Callable[[str], str] = input) -> None:
    if yes:
        return
    try:
        answer = ask(f"This breaks part of {environment} on purpose. Type {environment} to go on: ")
    except EOFError:
        answer = ""
    if answer.strip() != environment:
        raise DrillError(
            f"Not confirmed (typed {answer.strip()!r}, not {environment!r}): nothing was started. "
            "In a pipeline, pass --yes (make drill ... YES=1)."
        )


# --- Probing and measuring ----------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    at: float  # seconds since the experiment started
    healthy: bool
    status: str  # "200/200" (readyz/version), or the error
    latency_ms: float  # /readyz
    version: str = ""


def probe_http(url: str, at: float, limit_ms: float, timeout: float = 5) -> Probe:
    """GET /readyz (timed) and /version; healthy when both answer 200 within the limit."""
    statuses, version, latency = [], "", math.inf
    for path in ("/readyz", "/version"):
        started = time.monotonic()
        try:
            with urllib.request.urlopen(f"{url}{path}", timeout=timeout) as response:  # noqa: S310  # nosec B310
                body = response.read(2000).decode("utf-8", "replace")
                statuses.append(str(response.status))
        except urllib.error.HTTPError as error:
            statuses.append(str(error.code))
            body = ""
        except (OSError, urllib.error.URLError) as error:
            statuses.append(type(error).__name__)
            body = ""
        if path == "/readyz":
            latency = 1000 * (time.monotonic() - started)
        else:
            version = load_test.describe_version(body) if body else ""
    healthy = statuses == ["200", "200"] and latency <= limit_ms
    return Probe(at, healthy, "/".join(statuses), latency, version)


def recovery(probes: list[Probe]) -> tuple[float | None, float | None]:
    """(first unhealthy probe, start of the healthy streak that lasted to the end), in
    seconds since the start. (None, None): no probe missed the target. (t, None): not
    recovered, or fewer than HEALTHY_STREAK healthy probes at the end."""
    first_bad = next((p.at for p in probes if not p.healthy), None)
    if first_bad is None:
        return None, None
    tail: list[Probe] = []
    for p in reversed(probes):
        if not p.healthy:
            break
        tail.append(p)
    if len(tail) < HEALTHY_STREAK:
        return first_bad, None
    return first_bad, tail[-1].at


# --- Load ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    requests: int
    failures: int
    p95_ms: float
    report: str = ""  # where Locust's files are

    @property
    def error_rate_percent(self) -> float:
        return 100 * self.failures / self.requests if self.requests else 0.0


LoadRunner = Callable[[str, int, Path], LoadResult]  # (url, seconds, folder) -> result


def locust_load(url: str, seconds: int, folder: Path) -> LoadResult:
    """The project's load test (loadtest/locustfile.py) for `seconds`, as `epa load-test`
    runs it: signed in with LOAD_TEST_TOKEN if set, else the public probes only."""
    signed_in = os.environ.get(load_test.TOKEN_VARIABLE, "").strip()
    run = load_test.Run(
        environment="drill", url=url, users=10, spawn_rate=5, duration=f"{seconds}s",
        scenario="SignedInUser" if signed_in else "PublicProbes", commit="", service_version="",
        started="", targets_file="", raw_folder=str(folder),
    )  # fmt: skip
    load_test.run_locust(run, folder)
    total = load_test.read_stats(folder / "locust_stats.csv")[-1]
    return LoadResult(total.requests, total.failures, total.p95_ms, str(folder))


# --- The drill ----------------------------------------------------------------------------


@dataclass
class Drill:
    project: str
    environment: str
    region: str
    scenario: str
    url: str
    limit_ms: float
    targets_source: str
    observe_seconds: int = 600
    interval: float = 5
    template: dict = field(default_factory=dict)
    experiment_id: str = ""
    state: str = ""
    reason: str = ""
    started: dt.datetime | None = None
    ended: dt.datetime | None = None
    probes: list[Probe] = field(default_factory=list)
    load: LoadResult | None = None
    inspection: str = "not run"


def run_drill(
    drill: Drill,
    fis,
    load: LoadRunner,
    probe: Callable[[str, float, float], Probe] = probe_http,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    load_folder: Path = load_test.OUTPUT,
) -> Drill:
    """Start the experiment, load and probe until it has ended and the observation time is
    over, then stop the load."""
    start = clock()
    drill.started = now()
    experiment = fis.start_experiment(
        experimentTemplateId=drill.template["id"],
        tags={"project": drill.project, "environment": drill.environment, "scenario": drill.scenario},
    )["experiment"]
    drill.experiment_id = experiment["id"]
    result: list[LoadResult] = []
    folder = load_folder / f"{drill.environment}-drill-{drill.started:%Y%m%dT%H%M%SZ}"
    worker = threading.Thread(
        target=lambda: result.append(load(drill.url, drill.observe_seconds, folder)), daemon=True
    )
    worker.start()
    while True:
        elapsed = clock() - start
        drill.probes.append(probe(drill.url, round(elapsed, 1), drill.limit_ms))
        if drill.ended is None:
            state = fis.get_experiment(id=drill.experiment_id)["experiment"]["state"]
            drill.state = state["status"]
            if state["status"] in DONE:
                drill.ended, drill.reason = now(), state.get("reason", "")
        if drill.ended is not None and elapsed >= drill.observe_seconds:
            break
        if elapsed >= drill.observe_seconds + GIVE_UP_AFTER:
            drill.reason = "still running when the drill stopped watching"
            break
        sleep(drill.interval)
    worker.join()
    drill.load = result[0] if result else None
    return drill


def inspect(drill: Drill, output: Path = INSPECTION) -> str:
    """The inspection of the environment after the drill (`make inspect`), in one line."""
    from epa_toolkit.inspection import cli as inspection

    code = inspection.main([
        "--project", drill.project, "--environment", drill.environment, "--region", drill.region,
        "--format", "console,json,markdown", "--output", str(output),
    ])  # fmt: skip
    meaning = {0: "passed", 1: "findings at or above its fail level", 2: "could not run"}
    return f"exit {code}: {meaning.get(code, 'see the report')} ({output.name}/{drill.environment}.md)"


# --- The record ---------------------------------------------------------------------------


def _time(moment: dt.datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


def render_record(drill: Drill) -> str:
    impact, recovered = recovery(drill.probes)
    if impact is None:
        recover_text = "no probe missed the target"
    elif recovered is None:
        recover_text = "**not recovered** within the observation time"
    else:
        recover_text = f"{recovered - impact:.0f} s"
    load = drill.load
    unhealthy = sum(not p.healthy for p in drill.probes)
    rows = [
        ("Kind", "drill (a real incident: incident)"),
        ("Environment", drill.environment),
        ("Cause", f"{drill.scenario}: {drill.template.get('description', '')}"),
        ("Fault started (UTC)", _time(drill.started)),
        (
            "Fault ended (UTC)",
            f"{_time(drill.ended)} (FIS: {drill.state or 'unknown'}"
            + (f", {drill.reason}" if drill.reason else "")
            + ")",
        ),
        ("Impact first seen", f"+{_seconds(impact)}" if impact is not None else "-"),
        ("Recovered", f"+{_seconds(recovered)}" if recovered is not None else "-"),
        ("Time to recover (MTTR)", recover_text),
        ("Requests during the fault", str(load.requests) if load else "not measured"),
        (
            "Errors during the fault",
            f"{load.failures} ({load.error_rate_percent:.2f} %)" if load else "not measured",
        ),
        ("p95 latency during the fault", f"{load.p95_ms:.0f} ms" if load else "not measured"),
        ("Probes (/readyz, /version)", f"{len(drill.probes)}, {unhealthy} missed the target"),
        ("Target", f"200 within {drill.limit_ms:g} ms ({drill.targets_source})"),
        ("Inspection afterwards", drill.inspection),
        ("FIS experiment", drill.experiment_id or "-"),
    ]
    lines = [
        f"# Recovery record: {drill.scenario} drill in {drill.environment}",
        "",
        "<!-- Written by `make drill`; the table is the measurement, keep it as it is. The same",
        "     format records a real incident (README.md in this folder). -->",
        "",
        "| Field | Value |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in rows],
        "",
        "## Probes",
        "",
        "| +s | Status (readyz/version) | /readyz ms | Healthy |",
        "|---|---|---|---|",
        *[
            f"| {p.at:g} | {p.status} | {'-' if math.isinf(p.latency_ms) else f'{p.latency_ms:.0f}'} "
            f"| {'yes' if p.healthy else 'no'} |"
            for p in drill.probes
        ],
        "",
        "## Analysis",
        "",
        "<!-- write:begin recovery.analysis min=40 -->",
        "<!-- Guidance: what did you expect before the drill (your hypothesis), and what",
        "     happened? Which alarms fired, and did the drill stop on one? What limited the",
        "     time to recover (health checks, task start, DNS, connection retries)? What will",
        "     you change, and how will you know it worked? Evidences K11, K12, S7, S19, B3. -->",
        "<!-- write:end recovery.analysis -->",
        "",
    ]
    return "\n".join(lines)


def write_record(drill: Drill, folder: Path = RECORDS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = drill.started or dt.datetime.now(dt.UTC)
    path = folder / f"{stamp:%Y-%m-%d-%H%M}-{drill.environment}-drill-{drill.scenario}.md"
    path.write_text(render_record(drill), encoding="utf-8")
    return path


def latency_target(targets: load_test.Targets, path: Path) -> tuple[float, str]:
    """The probes' latency limit and where it comes from."""
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    if "GET /readyz" in targets.endpoint_p95_ms:
        return targets.endpoint_p95_ms["GET /readyz"], f"{shown}, endpoint_p95_ms GET /readyz"
    return targets.p95_ms, f"{shown}, p95_ms"


def duration_seconds(text: str) -> int:
    """ "600", "90s", "10m", "1h" as seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        if text[-1:] in units:
            return int(text[:-1]) * units[text[-1]]
        return int(text)
    except ValueError:
        raise DrillError(f"--observe: {text!r} is not a duration such as 600, 90s or 10m") from None


def main(
    argv: list[str] | None = None,
    *,
    fis=None,
    load: LoadRunner = locust_load,
    probe: Callable[[str, float, float], Probe] = probe_http,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    ask: Callable[[str], str] = input,
    inspector: Callable[[Drill], str] = inspect,
    records: Path = RECORDS,
) -> int:
    parser = argparse.ArgumentParser(prog="make drill", description=__doc__.splitlines()[0])
    parser.add_argument("--project", required=True, help="value of the project tag")
    parser.add_argument("--environment", required=True, help="staging or prod (dev has none)")
    parser.add_argument("--region", required=True)
    parser.add_argument("--scenario", required=True, choices=SCENARIOS)
    parser.add_argument("--url", required=True, help="the environment's public URL")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--observe", default="10m", help="how long to load and probe (at least)")
    parser.add_argument("--interval", type=float, default=5, help="seconds between probes")
    parser.add_argument("--targets", type=Path, default=load_test.TARGETS)
    args = parser.parse_args(argv)
    try:
        if not args.url.startswith(("http://", "https://")):
            raise DrillError(f"--url: {args.url!r} is not the environment's URL; has it been deployed?")
        limit, source = latency_target(load_test.load_targets(args.targets), args.targets)
        drill = Drill(
            project=args.project, environment=args.environment, region=args.region,
            scenario=args.scenario, url=args.url.rstrip("/"), limit_ms=limit,
            targets_source=source, observe_seconds=duration_seconds(args.observe),
            interval=args.interval,
        )  # fmt: skip
        if fis is None:
            import boto3

            fis = boto3.client("fis", region_name=args.region)
        drill.template = find_template(fis, args.project, args.environment, args.scenario)
        confirm(args.environment, args.yes, ask)
    except (DrillError, load_test.LoadTestError) as error:
        print(f"drill: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # botocore's errors: no credentials, access denied, ...
        print(f"drill: could not reach FIS: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    print(f"Starting {args.scenario} in {args.environment} ({drill.template['id']}) ...")
    run_drill(drill, fis, load, probe, clock, sleep)
    drill.inspection = inspector(drill)
    path = write_record(drill, records)
    impact, recovered = recovery(drill.probes)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"FIS: {drill.state}; record: {shown} (write its analysis)")
    ok = drill.state == "completed" and (impact is None or recovered is not None)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
