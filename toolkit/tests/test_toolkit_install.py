"""An assessor installs the toolkit alone: from the template's checkout into an empty
virtual environment, with no generated project, and inspects an environment (moto, in
server mode) from an empty folder. The report names the toolkit's version and commit and
the caller, and the Markdown carries the hash of the JSON report."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.aws_seed import REGION, seed
from tests.test_inspection_cli import aws_server  # noqa: F401 - the fixture, used below

TOOLKIT = Path(__file__).resolve().parents[1]
UV = shutil.which("uv")
CALLER = "arn:aws:sts::123456789012:user/moto"  # moto's

pytestmark = [
    pytest.mark.skipif(UV is None, reason="uv is not on PATH: it makes the empty virtual environment"),
    pytest.mark.usefixtures("aws_server"),
]


def install(venv: Path) -> None:
    """Into a new, empty environment; from uv's cache when it holds everything (offline)."""
    subprocess.run([UV, "venv", "--quiet", str(venv)], check=True, capture_output=True, timeout=120)
    command = [UV, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(TOOLKIT)]
    offline = subprocess.run(
        [*command, "--offline"], capture_output=True, text=True, check=False, timeout=300
    )
    if offline.returncode != 0:
        online = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
        assert online.returncode == 0, offline.stderr + online.stderr


def test_the_toolkit_installed_alone_inspects_and_names_itself_and_the_caller(tmp_path):
    seed()
    install(tmp_path / "venv")
    bin_ = tmp_path / "venv" / "bin"
    empty = tmp_path / "empty"
    empty.mkdir()
    # Nothing of the template's or the project's: no EPA_PROJECT, no checkout on the path.
    env = {k: v for k, v in os.environ.items()
           if k not in ("EPA_PROJECT", "PROJECT_FACTS", "PYTHONPATH", "VIRTUAL_ENV")}  # fmt: skip
    where = subprocess.run([bin_ / "python", "-c", "import epa_toolkit; print(epa_toolkit.__file__)"],
                           cwd=empty, env=env, capture_output=True, text=True, check=True)  # fmt: skip
    assert where.stdout.startswith(str(tmp_path / "venv")), where.stdout
    result = subprocess.run(
        [bin_ / "epa", "inspect", "--project", "desk", "--environment", "prod", "--region", REGION,
         "--format", "console,json,markdown,html", "--output", "reports"],
        cwd=empty, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    written = (empty / "reports" / "prod.json").read_bytes()
    run = json.loads(written)["run"]
    version = tomllib.loads((TOOLKIT / "pyproject.toml").read_text())["project"]["version"]
    head = subprocess.run(["git", "-C", str(TOOLKIT), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=False).stdout.strip()  # fmt: skip
    assert run["toolkit"]["name"] == "epa-toolkit" and run["toolkit"]["version"] == version
    # The checkout's HEAD, marked when the toolkit has uncommitted changes (while developing).
    assert run["toolkit"]["commit"].removesuffix("+changes") == head
    assert run["caller"] == {"account": "123456789012", "arn": CALLER}
    assert run["region"] == REGION and run["thresholds"] == "the template's tiers (epa-toolkit)"
    markdown = (empty / "reports" / "prod.md").read_text()
    assert f"epa-toolkit {version}, commit {run['toolkit']['commit']}" in markdown
    assert CALLER in markdown and CALLER in result.stdout
    assert f"`{hashlib.sha256(written).hexdigest()}`" in markdown
    assert hashlib.sha256(written).hexdigest() in (empty / "reports" / "prod.html").read_text()
    assert "testing" not in result.stdout + result.stderr, "credentials must never be printed"
