"""The reference project (all defaults) as an apprentice meets it: same answers give
the same bytes, the README quick start works as written, and the app's tests also
pass on a real PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import bake, run, run_project_tests, tool_env


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_answers_give_the_same_bytes(tmp_path):
    first = bake(tmp_path / "a", ci_provider="gitlab", domain_name="desk.acme.co.uk")
    second = bake(tmp_path / "b", ci_provider="gitlab", domain_name="desk.acme.co.uk")
    assert tree_digest(first) == tree_digest(second)


def test_make_help_lists_every_target(tmp_path):
    project = bake(tmp_path)
    makefile = (project / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE)) - {"require-uv"}
    listed = run(["make", "help"], cwd=project, env=tool_env()).stdout
    for target in targets:
        assert re.search(rf"^\s+(\x1b\[\d+m)?{target}\b", listed, flags=re.MULTILINE), target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(
    method: str, url: str, body: dict | None = None, token: str | None = None, opener=None
) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback only
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_readme_quick_start_works_in_order(tmp_path):
    """setup -> test -> run, then the page and the API answer on localhost."""
    project = bake(tmp_path)
    readme = (project / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    for command in ("make setup", "make test", "make run"):
        assert command in quick_start, command
    env = tool_env()
    run(["git", "init", "-q", "-b", "main"], cwd=project, env=env)
    run(["make", "setup"], cwd=project, env=env)
    assert (project / "uv.lock").is_file(), "make setup must create the lock file to commit"
    run(["make", "test"], cwd=project, env=env)
    run(["make", "lint"], cwd=project, env=env)

    port = free_port()
    server = subprocess.Popen(
        ["make", "run", f"PORT={port}"], cwd=project, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if http("GET", f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "make run did not start"
            time.sleep(0.2)
        assert http("GET", f"{base}/readyz")[0] == 200
        status, body = http("GET", f"{base}/version")
        assert status == 200 and json.loads(body)["environment"] == "local"
        # The API needs a token: the README's `TOKEN=$(make -s dev-token | tail -n 1)`.
        assert "make -s dev-token | tail -n 1" in quick_start
        assert http("GET", f"{base}/api/tickets")[0] == 401
        dev_token = run(["make", "-s", "dev-token"], cwd=project, env=env).stdout
        token = dev_token.strip().splitlines()[-1]
        status, body = http("POST", f"{base}/api/tickets", {"title": "Printer on floor 2 is jammed"}, token)
        assert status == 201, body
        status, body = http("GET", f"{base}/api/tickets", token=token)
        assert status == 200 and "Printer on floor 2 is jammed" in body
        # The page: the development sign-in, with any display name, then the tickets.
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        status, form = http("GET", f"{base}/", opener=browser)  # redirected to the sign-in
        assert status == 200 and 'action="/auth/dev-login"' in form
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        sign_in = urllib.request.Request(  # noqa: S310 - loopback only
            f"{base}/auth/dev-login",
            data=urllib.parse.urlencode({"name": "Alex", "csrf_token": csrf}).encode(),
            method="POST",
        )
        with browser.open(sign_in, timeout=5) as response:  # follows the redirect to the page
            page = response.read().decode()
        assert "Printer on floor 2 is jammed" in page and '<html lang="en"' in page
        assert "Signed in as <strong>Alex</strong>" in page
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)
    assert (project / "app" / "local.db").is_file(), "make run should use SQLite in app/local.db"


def test_app_tests_pass_on_postgresql(tmp_path, shared_env):
    url = os.environ.get("TEMPLATE_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must provide TEMPLATE_TEST_DATABASE_URL (see .ci/run)")
        pytest.skip("set TEMPLATE_TEST_DATABASE_URL to run the app's tests on PostgreSQL")
    project = bake(tmp_path)
    result = run_project_tests(project, shared_env, DATABASE_URL=url)
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary)
    # On PostgreSQL every test runs: the database faults and the password rotation too
    # (they need a server that checks passwords over TCP, as .ci/run's does).
    assert "skipped" not in summary, result.stdout


def test_stale_diagram_fails_the_check_until_redrawn(tmp_path, shared_env):
    project = bake(tmp_path)
    infra = project / "infra"
    prod = infra / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text() + '  service-desk:azCount: "4"\n')
    check = subprocess.run([str(shared_env), "-m", "diagram", "--check"], cwd=infra, env=tool_env(),
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert check.returncode == 1
    assert "Run `make diagram`" in check.stderr
    run([str(shared_env), "-m", "diagram"], cwd=infra, env=tool_env())
    run([str(shared_env), "-m", "diagram", "--check"], cwd=infra, env=tool_env())
    assert "eu-west-2d" in (project / "docs" / "architecture.md").read_text()


def test_make_reads_the_region_from_the_stack(tmp_path):
    """The region is written once per stack (infra/Pulumi.<env>.yaml), not in the Makefile."""
    project = bake(tmp_path, aws_region="eu-west-1")
    staging = project / "infra" / "Pulumi.staging.yaml"
    staging.write_text(staging.read_text().replace("aws:region: eu-west-1", "aws:region: us-east-1"))
    plan = run(["make", "-n", "inspect", "ENV=staging"], cwd=project).stdout
    assert "--region us-east-1" in plan
    assert "--region eu-west-1" in run(["make", "-n", "inspect", "ENV=prod"], cwd=project).stdout
