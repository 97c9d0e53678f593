"""`epa drill` offline: FIS through botocore's Stubber (moto has no FIS), an injected load
runner and probes, a fake clock; one probe against a real local HTTP server."""

from __future__ import annotations

import ast
import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from epa_toolkit import drill, writing
from epa_toolkit.drill import LoadResult, Probe

URL = "https://desk.example.com"
BASE = ["--project", "service-desk", "--region", "eu-west-2", "--url", URL, "--interval", "5"]


def template(env: str, scenario: str) -> dict:
    return {
        "id": f"EXT{env}{scenario}".replace("-", ""),
        "description": f"{scenario} drill",
        "tags": {"project": "service-desk", "environment": env, "scenario": scenario},
    }


TEMPLATES = [template(env, s) for env in ("staging", "prod") for s in drill.SCENARIOS]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def stubbed_fis(states: list[str], templates: list[dict] = TEMPLATES, start: bool = True):
    client = boto3.client("fis", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("list_experiment_templates", {"experimentTemplates": templates}, {})
    if start:
        stub.add_response(
            "start_experiment",
            {"experiment": {"id": "EXP1", "state": {"status": "initiating"}}},
            {
                "experimentTemplateId": "EXTstagingtaskloss",
                "tags": {"project": "service-desk", "environment": "staging", "scenario": "task-loss"},
            },
        )
        for status in states:
            state = {"status": status, "reason": "Experiment completed." if status == "completed" else ""}
            stub.add_response(
                "get_experiment", {"experiment": {"id": "EXP1", "state": state}}, {"id": "EXP1"}
            )
    stub.activate()
    return client, stub


def scripted_probes(clock: FakeClock, bad: set[float]):
    def probe(url: str, at: float, limit_ms: float) -> Probe:
        healthy = clock.now not in bad
        return Probe(at, healthy, "200/200" if healthy else "503/200", 40 if healthy else 900)

    return probe


def test_a_drill_starts_the_experiment_drives_load_and_records_the_recovery(tmp_path, capsys):
    clock = FakeClock()
    fis, stub = stubbed_fis(["running", "running", "running", "completed"])
    loads = []

    def load(url: str, seconds: int, folder: Path) -> LoadResult:
        loads.append((url, seconds))
        return LoadResult(requests=1200, failures=36, p95_ms=820)

    code = drill.main(
        [*BASE, "--environment", "staging", "--scenario", "task-loss", "--observe", "30s", "--yes"],
        fis=fis, load=load, probe=scripted_probes(clock, bad={5.0, 10.0}), sleep=clock.sleep,
        clock=clock, inspector=lambda d: "exit 0: passed", records=tmp_path,
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    stub.assert_no_pending_responses()  # started, and watched until it completed
    assert loads == [(URL, 30)]
    [record] = tmp_path.glob("*-staging-drill-task-loss.md")
    text = record.read_text()
    assert "| Time to recover (MTTR) | 10 s |" in text  # from the first bad probe (+5) to +15
    assert "| Requests during the fault | 1200 |" in text
    assert "| Errors during the fault | 36 (3.00 %) |" in text
    assert "| p95 latency during the fault | 820 ms |" in text
    assert "| Inspection afterwards | exit 0: passed |" in text
    assert "loadtest/targets.yaml" in text and "| FIS experiment | EXP1 |" in text
    # The record is a document with a section for the apprentice's analysis.
    [section] = writing.parse_sections(record, text)
    assert section.id == "recovery.analysis"


def test_not_recovered_by_the_end_exits_1_and_says_so(tmp_path):
    clock = FakeClock()
    fis, _ = stubbed_fis(["completed"])
    code = drill.main(
        [*BASE, "--environment", "staging", "--scenario", "task-loss", "--observe", "20", "--yes"],
        fis=fis, load=lambda *a: LoadResult(10, 10, 5000), probe=scripted_probes(clock, {15.0, 20.0}),
        sleep=clock.sleep, clock=clock, inspector=lambda d: "exit 1", records=tmp_path,
    )  # fmt: skip
    assert code == 1
    [record] = tmp_path.glob("*.md")
    assert "**not recovered** within the observation time" in record.read_text()


def test_dev_has_no_drills_and_nothing_is_started(tmp_path, capsys):
    fis, stub = stubbed_fis([], start=False)
    code = drill.main(
        [*BASE, "--environment", "dev", "--scenario", "az-outage", "--yes"], fis=fis, records=tmp_path
    )
    assert code == 2
    assert "dev has no failure drills" in capsys.readouterr().err
    stub.assert_no_pending_responses()
    assert list(tmp_path.iterdir()) == []


def test_without_the_environments_name_typed_nothing_is_started(tmp_path, capsys):
    fis, stub = stubbed_fis([], start=False)  # start_experiment unstubbed: calling it fails
    code = drill.main(
        [*BASE, "--environment", "staging", "--scenario", "task-loss"],
        fis=fis, ask=lambda prompt: "yes", records=tmp_path,
    )  # fmt: skip
    assert code == 2
    assert "Not confirmed (typed 'yes', not 'staging')" in capsys.readouterr().err
    stub.assert_no_pending_responses()
    assert list(tmp_path.iterdir()) == []


def test_typing_the_name_confirms():
    drill.confirm("staging", yes=False, ask=lambda prompt: " staging\n")
    with pytest.raises(drill.DrillError, match="pass --yes"):
        drill.confirm("prod", yes=False, ask=lambda prompt: "staging")


def test_two_templates_for_one_scenario_are_refused():
    fis, _ = stubbed_fis([], templates=[*TEMPLATES, template("staging", "task-loss")], start=False)
    with pytest.raises(drill.DrillError, match="2 templates for scenario 'task-loss'"):
        drill.find_template(fis, "service-desk", "staging", "task-loss")


def test_recovery_is_from_the_first_miss_to_a_lasting_healthy_streak():
    def probes(pattern: str) -> list[Probe]:
        return [Probe(5.0 * i, c == "+", "", 1) for i, c in enumerate(pattern)]

    assert drill.recovery(probes("++++")) == (None, None)
    assert drill.recovery(probes("+--+-+++")) == (5.0, 25.0)  # a blip is not a recovery
    assert drill.recovery(probes("+--++")) == (5.0, None)  # too few healthy at the end


def test_the_latency_target_comes_from_the_load_tests_targets():
    targets = drill.load_test.load_targets(drill.load_test.TARGETS)
    limit, source = drill.latency_target(targets, drill.load_test.TARGETS)
    assert limit == targets.endpoint_p95_ms.get("GET /readyz", targets.p95_ms)
    assert source.startswith("loadtest/targets.yaml")


class Service(BaseHTTPRequestHandler):
    ready = 200

    def do_GET(self) -> None:  # the handler API names it
        status = Service.ready if self.path == "/readyz" else 200
        body = b'{"commit": "abc123", "environment": "staging"}'
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def service():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_probe_reads_readyz_and_version_over_http(service):
    Service.ready = 200
    probe = drill.probe_http(service, 5, limit_ms=2000)
    assert probe.healthy and probe.status == "200/200"
    assert probe.version == "commit abc123, environment staging"
    Service.ready = 503
    assert drill.probe_http(service, 10, limit_ms=2000).status == "503/200"
    assert not drill.probe_http(service, 10, limit_ms=2000).healthy
    assert not drill.probe_http("http://127.0.0.1:9", 15, limit_ms=2000).healthy


def test_the_project_declares_the_same_scenarios_and_drill_records_are_documents():
    root = drill.ROOT
    source = ast.parse((root / "infra" / "components" / "drills.py").read_text())
    [declared] = [
        ast.literal_eval(node.value)
        for node in source.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SCENARIOS"
    ]
    assert declared == drill.SCENARIOS
    reference = writing.load_reference(root)
    patterns = [doc.pattern for doc in writing.documents(reference)]
    assert "docs/records/recovery/[0-9][0-9][0-9][0-9]-*.md" in patterns
    assert "drill:" in (root / "Makefile").read_text()


def test_records_are_named_by_time_environment_and_scenario(tmp_path):
    d = drill.Drill("p", "prod", "eu-west-2", "db-failover", URL, 500, "t",
                    started=dt.datetime(2027, 4, 1, 10, 5, tzinfo=dt.UTC))  # fmt: skip
    assert drill.write_record(d, tmp_path).name == "2027-04-01-1005-prod-drill-db-failover.md"
