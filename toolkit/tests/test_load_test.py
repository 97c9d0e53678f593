"""The load test's results: Locust's CSV read, targets checked, the report written.

The fixtures are real Locust 2.47 output (loadtest/locustfile.py against the app on
PostgreSQL): passing_* from 20 signed-in users for 60 s, failing_* from a run with a wrong
token (every ticket request refused with 401). Locust itself never runs here.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from epa_toolkit import load_test
from epa_toolkit.load_test import Endpoint, LoadTestError, Run, Targets

FIXTURES = Path(__file__).parent / "fixtures" / "load"
STARTING = Targets(p95_ms=500, error_rate_percent=1, throughput_rps=10)


def run(scenario: str = "SignedInUser") -> Run:
    return Run(
        environment="staging",
        url="https://desk.example.com",
        users=20,
        spawn_rate=5,
        duration="60s",
        scenario=scenario,
        commit="0123abc",
        service_version="version 1.0, commit 0123abc, environment staging",
        started="2027-04-01T10:00:00+00:00",
        targets_file="loadtest/targets.yaml",
        raw_folder="reports/load/staging-20270401T100000Z",
    )


def test_reads_every_endpoint_and_the_aggregate_last():
    endpoints = load_test.read_stats(FIXTURES / "passing_stats.csv")
    assert [e.name for e in endpoints] == [
        "GET /api/tickets",
        "POST /api/tickets",
        "GET /api/tickets/[id]",
        "POST /api/tickets/[id]/close",
        "GET /healthz",
        "GET /readyz",
        "GET /version",
        "Aggregated",
    ]
    total = endpoints[-1]
    assert total.requests == sum(e.requests for e in endpoints[:-1])
    assert total.failures == 0
    assert total.p95_ms == 18
    assert total.rps == pytest.approx(16.04, abs=0.01)


def test_the_starting_targets_file_is_valid_and_the_reference_run_meets_it():
    targets = load_test.load_targets(load_test.TARGETS)
    assert targets.endpoint_p95_ms == {"GET /healthz": 200}
    checks = load_test.evaluate(load_test.read_stats(FIXTURES / "passing_stats.csv"), targets)
    assert load_test.passed(checks)
    assert {c.target for c in checks} >= {
        "p95 latency, all requests",
        "Error rate, all requests",
        "Throughput, all requests",
        "p95 latency, POST /api/tickets/[id]/close",
    }


def test_failed_requests_miss_the_error_rate_and_throughput_targets():
    checks = load_test.evaluate(load_test.read_stats(FIXTURES / "failing_stats.csv"), STARTING)
    verdicts = {c.target: c.passed for c in checks}
    assert verdicts["Error rate, all requests"] is False
    assert verdicts["Throughput, all requests"] is False
    assert verdicts["p95 latency, all requests"] is True
    assert not load_test.passed(checks)
    error_rate = next(c for c in checks if c.target == "Error rate, all requests")
    assert error_rate.measured == "87.50 % (7 of 8)"


def test_an_endpoint_target_applies_to_that_endpoint_only():
    endpoints = load_test.read_stats(FIXTURES / "passing_stats.csv")
    strict = Targets(500, 1, 10, endpoint_p95_ms={"POST /api/tickets": 20})
    verdicts = {c.target: c.passed for c in load_test.evaluate(endpoints, strict)}
    assert verdicts["p95 latency, POST /api/tickets"] is False  # 24 ms measured
    assert verdicts["p95 latency, GET /api/tickets"] is True  # 19 ms, against 500


def test_an_endpoint_target_without_requests_is_reported_not_measured_never_passed():
    probes_only = [
        Endpoint("GET /healthz", 100, 0, 4, 10, 12, 20, 5.0),
        Endpoint("Aggregated", 100, 0, 4, 10, 12, 20, 12.0),
    ]
    targets = Targets(500, 1, 10, endpoint_p95_ms={"GET /api/tickets": 300})
    checks = load_test.evaluate(probes_only, targets)
    missing = next(c for c in checks if c.target == "p95 latency, GET /api/tickets")
    assert (missing.passed, missing.measured) == (None, "not measured")
    assert load_test.passed(checks)


def test_a_run_without_requests_fails():
    nothing = [Endpoint("Aggregated", 0, 0, math.nan, math.nan, math.nan, math.nan, 0.0)]
    assert not load_test.passed(load_test.evaluate(nothing, STARTING))


def test_the_report_states_targets_measurements_failures_and_the_run():
    endpoints = load_test.read_stats(FIXTURES / "failing_stats.csv")
    failures = load_test.read_failures(FIXTURES / "failing_failures.csv")
    assert failures[0] == ("POST /api/tickets", "CatchResponseError('status 401, expected 201')", 4)
    text = load_test.render_markdown(run(), endpoints, load_test.evaluate(endpoints, STARTING), failures)
    assert "**Result: targets missed**" in text
    assert "| Error rate, all requests | <= 1 % | 87.50 % (7 of 8) | **FAIL** |" in text
    assert "| Users | 20 (spawned at 5/s) |" in text
    assert "| Commit tested from | 0123abc |" in text
    assert "## Failures" in text
    assert "status 401, expected 201" in text
    assert "not** tested" not in text


def test_a_probes_only_run_says_the_api_was_not_tested():
    endpoints = load_test.read_stats(FIXTURES / "passing_stats.csv")
    checks = load_test.evaluate(endpoints, STARTING)
    text = load_test.render_markdown(run("PublicProbes"), endpoints, checks)
    assert "The signed-in API was **not** tested." in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("p95_ms: 300\nerror_rate_percent: 1\n", "missing throughput_rps"),
        ("p95_ms: -1\nerror_rate_percent: 1\nthroughput_rps: 5\n", "p95_ms must be a number"),
        ("p95_ms: fast\nerror_rate_percent: 1\nthroughput_rps: 5\n", "p95_ms must be a number"),
        ("p95_ms: 1\nerror_rate_percent: 1\nthroughput_rps: 5\np99: 2\n", "unknown keys p99"),
        ("- 300\n", "expected keys"),
        ("p95_ms: 1\nerror_rate_percent: 1\nthroughput_rps: 5\nendpoint_p95_ms: [1]\n", "maps"),
    ],
)
def test_a_wrong_targets_file_is_refused_with_the_reason(tmp_path, content, message):
    path = tmp_path / "targets.yaml"
    path.write_text(content)
    with pytest.raises(LoadTestError, match=message):
        load_test.load_targets(path)


def test_a_file_that_is_not_locust_statistics_is_refused(tmp_path):
    path = tmp_path / "stats.csv"
    path.write_text("name,value\nx,1\n")
    with pytest.raises(LoadTestError, match="not Locust's statistics format"):
        load_test.read_stats(path)
    with pytest.raises(LoadTestError, match="Locust wrote no statistics"):
        load_test.read_stats(tmp_path / "missing.csv")


def test_the_version_is_described_in_words():
    body = '{"version":"1.0","commit":"abc","environment":"staging"}'
    assert load_test.describe_version(body) == "version 1.0, commit abc, environment staging"
    assert load_test.describe_version("not json") == "not json"


def test_nothing_answering_stops_before_locust(capsys, tmp_path):
    code = load_test.main(["--url", "http://127.0.0.1:9", "--output", str(tmp_path)])
    assert code == 2
    assert "make run" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_an_environment_never_deployed_has_no_url(capsys):
    assert load_test.main(["--env", "staging", "--url", ""]) == 2
    assert "has it been deployed?" in capsys.readouterr().err


def test_sign_in_asks_for_a_pkce_code_and_accepts_only_its_own_answer():
    verifier, challenge = load_test.pkce_pair()
    assert len(verifier) >= 43 and "=" not in challenge
    url = load_test.authorize_url(
        "https://desk.auth.eu-west-2.amazoncognito.com", "client1",
        "https://desk.example.com/auth/callback", challenge, "state1",
    )  # fmt: skip
    assert url.startswith("https://desk.auth.eu-west-2.amazoncognito.com/oauth2/authorize?")
    assert "code_challenge_method=S256" in url
    assert f"code_challenge={challenge}" in url
    landed = "https://desk.example.com/auth/callback?code=abc123&state=state1"
    assert load_test.code_from(landed + "\n", "state1") == "abc123"
    with pytest.raises(LoadTestError, match="state differs"):
        load_test.code_from(landed, "another")
    with pytest.raises(LoadTestError, match="no \\?code="):
        load_test.code_from("https://desk.example.com/auth/callback?state=state1", "state1")
