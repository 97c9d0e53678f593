"""`make load-test`: run the Locust scenario, check the results against the targets, report.

    python -m epa_toolkit.load_test --env local --url http://127.0.0.1:8000 --users 20 --duration 60s

Runs loadtest/locustfile.py headless (SignedInUser with the access token in LOAD_TEST_TOKEN,
else PublicProbes only, and the report says so), then checks Locust's CSV statistics against
loadtest/targets.yaml (yours: p95 latency, error rate, throughput) and writes

    reports/load/<env>-<UTC time>.md      targets vs measured, pass or fail, per endpoint
    reports/load/<env>-<UTC time>/        Locust's raw CSV files and its HTML report

Exit codes: 0 every target met; 1 a target missed; 2 could not run (no targets, nothing
answering at the URL, Locust wrote no statistics). Reading the CSV and checking the targets
are plain functions over files, tested offline in tools/tests/test_load_test.py.
"""

from __future__ import annotations

import argparse
import base64
import csv
import datetime as dt
import hashlib
import json
import math
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import yaml

from project_facts import project_root

ROOT = project_root()  # the project this runs in (project_facts)
LOCUSTFILE = ROOT / "loadtest" / "locustfile.py"
TARGETS = ROOT / "loadtest" / "targets.yaml"
OUTPUT = ROOT / "reports" / "load"
TOKEN_VARIABLE = "LOAD_TEST_TOKEN"  # noqa: S105 - the name of a variable, not a secret
AGGREGATED = "Aggregated"
NUMBERS = ("p95_ms", "error_rate_percent", "throughput_rps")


class LoadTestError(Exception):
    """The load test cannot run or its results cannot be read: the message says why."""


# --- Targets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    p95_ms: float
    error_rate_percent: float
    throughput_rps: float
    endpoint_p95_ms: dict[str, float] = field(default_factory=dict)


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise LoadTestError(f"{where} must be a number, 0 or more (got {value!r})")
    return float(value)


def load_targets(path: Path) -> Targets:
    """The targets file, checked: each number present and sensible."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise LoadTestError(f"{path}: cannot read the targets ({error})") from error
    if not isinstance(data, dict):
        raise LoadTestError(f"{path}: expected keys {', '.join(NUMBERS)}")
    missing = [key for key in NUMBERS if key not in data]
    if missing:
        raise LoadTestError(f"{path}: missing {', '.join(missing)}")
    unknown = set(data) - {*NUMBERS, "endpoint_p95_ms"}
    if unknown:
        raise LoadTestError(f"{path}: unknown keys {', '.join(sorted(unknown))}")
    endpoints = data.get("endpoint_p95_ms") or {}
    if not isinstance(endpoints, dict):
        raise LoadTestError(f'{path}: endpoint_p95_ms maps "METHOD /path" to milliseconds')
    return Targets(
        **{key: _number(data[key], f"{path}: {key}") for key in NUMBERS},
        endpoint_p95_ms={
            str(name): _number(ms, f"{path}: endpoint_p95_ms {name}") for name, ms in endpoints.items()
        },
    )


# --- Locust's statistics ------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One line of Locust's <prefix>_stats.csv: a request name, or the aggregate."""

    name: str  # "GET /api/tickets", or "Aggregated"
    requests: int
    failures: int
    median_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rps: float

    @property
    def error_rate_percent(self) -> float:
        return 100 * self.failures / self.requests if self.requests else 0.0


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:  # "N/A" when nothing was measured
        return math.nan


def read_stats(path: Path) -> list[Endpoint]:
    """Locust's <prefix>_stats.csv: one Endpoint per request name, the aggregate last."""
    try:
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
    except OSError as error:
        raise LoadTestError(f"{path}: Locust wrote no statistics ({error})") from error
    endpoints = []
    try:
        for row in rows:
            name = row["Name"] if row["Name"] == AGGREGATED else f"{row['Type']} {row['Name']}"
            endpoints.append(
                Endpoint(
                    name=name,
                    requests=int(row["Request Count"]),
                    failures=int(row["Failure Count"]),
                    median_ms=_float(row["50%"]),
                    p95_ms=_float(row["95%"]),
                    p99_ms=_float(row["99%"]),
                    max_ms=_float(row["Max Response Time"]),
                    rps=_float(row["Requests/s"]),
                )
            )
    except (KeyError, ValueError) as error:
        raise LoadTestError(f"{path}: not Locust's statistics format ({error})") from error
    if not endpoints or endpoints[-1].name != AGGREGATED:
        raise LoadTestError(f"{path}: no {AGGREGATED} line: did the run send any request?")
    return endpoints


def read_failures(path: Path) -> list[tuple[str, str, int]]:
    """Locust's <prefix>_failures.csv: (request, error, occurrences), most frequent first."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as file:
        rows = [
            (f"{row['Method']} {row['Name']}", row["Error"], int(row["Occurrences"]))
            for row in csv.DictReader(file)
        ]
    return sorted(rows, key=lambda row: -row[2])


# --- Checking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    target: str  # what is checked, in words
    limit: str  # the target, e.g. "<= 300 ms"
    measured: str
    passed: bool | None  # None: not measured (no request of that name)


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.0f} ms"


def evaluate(endpoints: list[Endpoint], targets: Targets) -> list[Check]:
    """Every target against the measurements: the aggregate's p95, error rate and
    throughput, then each endpoint's p95 (its own target if it has one)."""
    total = endpoints[-1]
    checks = [
        Check(
            "p95 latency, all requests",
            f"<= {targets.p95_ms:g} ms",
            _ms(total.p95_ms),
            total.requests > 0 and total.p95_ms <= targets.p95_ms,
        ),
        Check(
            "Error rate, all requests",
            f"<= {targets.error_rate_percent:g} %",
            f"{total.error_rate_percent:.2f} % ({total.failures} of {total.requests})",
            total.requests > 0 and total.error_rate_percent <= targets.error_rate_percent,
        ),
        Check(
            "Throughput, all requests",
            f">= {targets.throughput_rps:g} req/s",
            f"{total.rps:.1f} req/s",
            total.rps >= targets.throughput_rps,
        ),
    ]
    measured = {endpoint.name: endpoint for endpoint in endpoints[:-1]}
    for endpoint in endpoints[:-1]:
        limit = targets.endpoint_p95_ms.get(endpoint.name, targets.p95_ms)
        checks.append(
            Check(
                f"p95 latency, {endpoint.name}",
                f"<= {limit:g} ms",
                _ms(endpoint.p95_ms),
                endpoint.p95_ms <= limit,
            )
        )
    for name, limit in targets.endpoint_p95_ms.items():
        if name not in measured:
            checks.append(Check(f"p95 latency, {name}", f"<= {limit:g} ms", "not measured", None))
    return checks


def passed(checks: list[Check]) -> bool:
    return all(check.passed is not False for check in checks)


# --- The report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """What was run, for the report's header."""

    environment: str
    url: str
    users: int
    spawn_rate: float
    duration: str
    scenario: str  # SignedInUser or PublicProbes
    commit: str  # the repository's HEAD when the test ran
    service_version: str  # what the service's /version said
    started: str  # UTC, ISO 8601
    targets_file: str
    raw_folder: str


VERDICT = {True: "pass", False: "**FAIL**", None: "not measured"}


def render_markdown(
    run: Run,
    endpoints: list[Endpoint],
    checks: list[Check],
    failures: list[tuple[str, str, int]] | None = None,
) -> str:
    ok = passed(checks)
    lines = [
        f"# Load test: {run.environment}, {run.started}",
        "",
        f"**Result: {'every target met' if ok else 'targets missed'}** "
        f"({sum(c.passed is True for c in checks)} passed, "
        f"{sum(c.passed is False for c in checks)} failed, "
        f"{sum(c.passed is None for c in checks)} not measured).",
        "",
        "| | |",
        "|---|---|",
        f"| Environment | {run.environment} |",
        f"| URL | {run.url} |",
        f"| Scenario | {run.scenario} (loadtest/locustfile.py) |",
        f"| Users | {run.users} (spawned at {run.spawn_rate:g}/s) |",
        f"| Duration | {run.duration} |",
        f"| Commit tested from | {run.commit} |",
        f"| Service's /version | {run.service_version.replace('|', '/')} |",
        f"| Targets | {run.targets_file} |",
        f"| Raw results | {run.raw_folder}/ (Locust's CSV and HTML report) |",
        "",
    ]
    if run.scenario == "PublicProbes":
        lines += [
            f"> Only the public probes (/healthz, /readyz, /version) were load-tested: no "
            f"access token was given ({TOKEN_VARIABLE}). The signed-in API was **not** tested.",
            "",
        ]
    lines += ["## Targets", "", "| Target | Limit | Measured | Result |", "|---|---|---|---|"]
    lines += [f"| {c.target} | {c.limit} | {c.measured} | {VERDICT[c.passed]} |" for c in checks]
    lines += [
        "",
        "## Per endpoint",
        "",
        "| Request | Requests | Failures | Error rate | Median | p95 | p99 | Max | req/s |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for e in endpoints:
        name = f"**{e.name}**" if e.name == AGGREGATED else e.name
        lines.append(
            f"| {name} | {e.requests} | {e.failures} | {e.error_rate_percent:.2f} % | "
            f"{_ms(e.median_ms)} | {_ms(e.p95_ms)} | {_ms(e.p99_ms)} | {_ms(e.max_ms)} | "
            f"{e.rps:.2f} |"
        )
    if failures:
        lines += ["", "## Failures", "", "| Request | Error | Occurrences |", "|---|---|--:|"]
        lines += [
            f"| {request} | {error.replace('|', '/')} | {count} |" for request, error, count in failures
        ]
    lines += [
        "",
        "Percentiles are Locust's (rounded). Throughput is requests per second over the whole "
        "run, ramp-up included.",
        "",
    ]
    return "\n".join(lines)


# --- An access token for a deployed environment (SIGN_IN=1) -------------------------------
# The app's Cognito client is public (authorization code with PKCE, no secret) and returns
# only to {url}/auth/callback. So: you sign in on the managed login page in your browser,
# the browser lands on the app's callback (which shows "sign-in failed": it did not start
# this sign-in, so it leaves the code alone), you paste that address here, and the code is
# exchanged for an access token (valid 60 minutes) with the verifier only this run knows.


def pkce_pair() -> tuple[str, str]:
    """(code verifier, S256 code challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(login_url: str, client_id: str, redirect_uri: str, challenge: str, state: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid",
            "code_challenge_method": "S256",
            "code_challenge": challenge,
            "state": state,
        }
    )
    return f"{login_url.rstrip('/')}/oauth2/authorize?{query}"


def code_from(pasted: str, state: str) -> str:
    """The authorization code in the address the browser landed on, if it is ours."""
    params = parse_qs(urlsplit(pasted.strip()).query)
    if params.get("state") != [state]:
        raise LoadTestError("That address is not the answer to this sign-in (state differs).")
    code = params.get("code", [""])[0]
    if not code:
        raise LoadTestError("That address has no ?code=: paste the whole address bar.")
    return code


def sign_in(login_url: str, client_id: str, url: str) -> str:
    """An access token for the app's client, signed in by you in a browser."""
    if not login_url.startswith("https://"):
        raise LoadTestError(f"the managed login address is not https: {login_url!r}")
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    redirect_uri = f"{url}/auth/callback"
    print(
        "Sign in to get an access token for the load test:\n"
        f"  1. Open: {authorize_url(login_url, client_id, redirect_uri, challenge, state)}\n"
        "  2. Sign in. The browser ends on the app's 'sign-in failed' page: that is expected.\n"
        "  3. Paste the whole address from the address bar here and press Enter:",
        file=sys.stderr,
    )
    code = code_from(sys.stdin.readline(), state)
    request = urllib.request.Request(  # noqa: S310 - https, checked above
        f"{login_url.rstrip('/')}/oauth2/token",
        data=urlencode(
            {
                "grant_type": "authorization_code",
                "client_id": client_id,
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            }
        ).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310  # nosec B310
            return json.load(response)["access_token"]
    except (OSError, ValueError, KeyError) as error:
        raise LoadTestError(f"The code could not be exchanged for a token ({error}).") from error


# --- Running Locust -----------------------------------------------------------------------


def fetch(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise LoadTestError(f"not an http(s) URL: {url!r}")
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  # nosec B310
        return response.read(2000).decode("utf-8", "replace").strip()


def describe_version(body: str) -> str:
    """The service's /version answer in words: "commit abc123, version 1.2, environment prod"."""
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200]
    if not isinstance(data, dict):
        return body[:200]
    return ", ".join(f"{key} {value}" for key, value in data.items())


def commit(root: Path) -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not committed yet)"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return head + (" (with uncommitted changes)" if dirty else "")


def run_locust(run: Run, raw: Path) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "locust", "--locustfile", str(LOCUSTFILE), "--headless",
        "--host", run.url, "--users", str(run.users), "--spawn-rate", f"{run.spawn_rate:g}",
        "--run-time", run.duration, "--stop-timeout", "5", "--only-summary",
        "--csv", str(raw / "locust"), "--html", str(raw / "locust.html"), run.scenario,
    ]  # fmt: skip
    # Locust exits 1 when any request failed: the targets decide, not that.
    subprocess.run(command, check=False)  # noqa: S603 - our own fixed command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make load-test", description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="local", help="name for the report: local, staging, ...")
    parser.add_argument("--url", required=True, help="the service's base URL")
    parser.add_argument("--users", type=int, default=20, help="simulated users at once")
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started per second")
    parser.add_argument("--duration", default="60s", help="how long: 60s, 2m, 1h30m")
    parser.add_argument("--targets", type=Path, default=TARGETS)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--login-url", default="", help="managed login URL: sign in for a token")
    parser.add_argument("--client-id", default="", help="the app's client id (with --login-url)")
    args = parser.parse_args(argv)
    url = args.url.rstrip("/")
    duration = f"{args.duration}s" if args.duration.isdigit() else args.duration
    try:
        if not url:
            raise LoadTestError(f"No URL for {args.env}: has it been deployed? (stack output url is empty)")
        targets = load_targets(args.targets)
        try:
            fetch(f"{url}/healthz")
            version = fetch(f"{url}/version")
        except (OSError, urllib.error.URLError) as error:
            hint = (
                "start the app with `make run` in another terminal first"
                if args.env == "local"
                else "is the environment deployed and healthy?"
            )
            message = f"Nothing healthy answers at {url}/healthz ({error}): {hint}."
            raise LoadTestError(message) from error
        if args.login_url and args.client_id and not os.environ.get(TOKEN_VARIABLE, "").strip():
            os.environ[TOKEN_VARIABLE] = sign_in(args.login_url, args.client_id, url)
        scenario = "SignedInUser" if os.environ.get(TOKEN_VARIABLE, "").strip() else "PublicProbes"
        if scenario == "PublicProbes":
            print(
                f"warning: {TOKEN_VARIABLE} is not set: only the public probes are load-tested, "
                "not the signed-in API (README.md, 'Load test', says how to get a token).",
                file=sys.stderr,
            )
        started = dt.datetime.now(dt.UTC)
        stem = f"{args.env}-{started:%Y%m%dT%H%M%SZ}"
        raw = args.output / stem
        shown = raw.relative_to(ROOT) if raw.is_relative_to(ROOT) else raw
        run = Run(
            environment=args.env,
            url=url,
            users=args.users,
            spawn_rate=args.spawn_rate,
            duration=duration,
            scenario=scenario,
            commit=commit(ROOT),
            service_version=describe_version(version),
            started=started.isoformat(timespec="seconds"),
            targets_file=str(
                args.targets.relative_to(ROOT) if args.targets.is_relative_to(ROOT) else args.targets
            ),
            raw_folder=shown.as_posix(),
        )
        run_locust(run, raw)
        endpoints = read_stats(raw / "locust_stats.csv")
        failures = read_failures(raw / "locust_failures.csv")
    except LoadTestError as error:
        print(error, file=sys.stderr)
        return 2
    checks = evaluate(endpoints, targets)
    report = args.output / f"{stem}.md"
    report.write_text(render_markdown(run, endpoints, checks, failures), encoding="utf-8")
    print()
    for check in checks:
        print(f"  {VERDICT[check.passed].strip('*'):12} {check.target}: {check.measured} ({check.limit})")
    ok = passed(checks)
    print(f"\n{'Every target met' if ok else 'Targets missed'}: {shown}.md")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
