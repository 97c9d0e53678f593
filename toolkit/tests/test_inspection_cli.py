"""The real command, as a subprocess, against a moto server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request

import pytest
from moto.server import ThreadedMotoServer

from project_facts import project_root
from tests.aws_seed import REGION, seed

ROOT = project_root()  # the reference project (conftest.py)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def aws_server(monkeypatch):
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)  # never 0.0.0.0
    server.start()
    # moto's state is per process, not per server: start each test from an empty AWS.
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST"))
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,  # pragma: allowlist secret
           "MOTO_ECS_SERVICE_RUNNING": "2", "AWS_MAX_ATTEMPTS": "1"}  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield
    server.stop()


def inspect(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "epa_toolkit.inspection.cli", "--project", "desk", "--environment", "prod",
         "--region", REGION, *args],
        cwd=ROOT, capture_output=True, text=True, check=False, env=env or os.environ.copy(), timeout=120,
    )  # fmt: skip


def test_reference_shaped_prod_passes_with_all_reports(aws_server, tmp_path):
    seed()
    result = inspect("--format", "console,json,markdown,junit", "--output", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((tmp_path / "prod.json").read_text())
    reliability = [f for f in document["findings"] if f["pillar"] == "reliability"]
    assert reliability and {f["status"] for f in reliability} == {"PASS"}
    # Without a domain the load balancer is internal: no HTTPS listener whose TLS to judge,
    # and CloudFront's default certificate sets its own viewer TLS minimum.
    not_passed = {f["check_id"]: f["status"] for f in document["findings"] if f["status"] != "PASS"}
    assert not_passed == {"alb_tls_policy": "SKIPPED", "cloudfront_viewer_tls": "WARN"}
    assert (tmp_path / "prod.md").read_text().startswith("# Inspection of desk / prod")
    assert "<testsuite" in (tmp_path / "prod.xml").read_text()
    assert "reliability" in result.stdout, "the pillar table is printed"
    assert "testing" not in result.stdout + result.stderr, "credentials must never be printed"


def test_misconfigured_environment_exits_1_naming_each_failure(aws_server):
    seed(broken=True)
    result = inspect("--format", "json")
    assert result.returncode == 1
    failed = {f["check_id"] for f in json.loads(result.stdout)["findings"] if f["status"] == "FAIL"}
    assert {"vpc_multi_az_subnets", "alb_deletion_protection", "ecs_service_circuit_breaker",
            "rds_multi_az", "rds_backups", "rds_deletion_protection"} <= failed  # fmt: skip
    assert inspect("--format", "json", "--exit-zero").returncode == 0


def test_nothing_matched_is_exit_2(aws_server):
    result = inspect()
    assert result.returncode == 2
    assert "no resources tagged project=desk environment=prod" in result.stderr


def test_missing_credentials_are_exit_2_without_secrets(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip
    result = inspect(env=env)
    assert result.returncode == 2
    assert "no usable AWS credentials" in result.stderr
