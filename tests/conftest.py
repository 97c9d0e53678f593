"""Shared helpers: bake projects, and one Python environment for all bakes.

Model: cookiecutter-django. Baking takes well under a second; installing a project's
dependencies takes longer, so every bake's checks run in one shared environment (the
reference project's), with the bake's own source first on the import path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter
from filelock import FileLock

TEMPLATE = Path(__file__).resolve().parents[1]
TOOLS_BIN = Path(sys.executable).parent
# The default gateway date is "four weeks from today": fix it so bakes are repeatable.
# Bakes are of the reference service unless a test names its starter: most tests read the
# service desk's worked examples and files. The bake matrix alternates the two starters,
# and the documents and hook tests bake both (test_documents checks the default is minimal).
FIXED_ANSWERS = {"gateway_date": "2027-03-01", "starter": "reference"}
DEFAULTS = json.loads((TEMPLATE / "cookiecutter.json").read_text())


def bake(output_dir: Path, **answers: str) -> Path:
    """Generate a project with the given answers (defaults for the rest)."""
    project = cookiecutter(
        str(TEMPLATE),
        no_input=True,
        extra_context={**FIXED_ANSWERS, **answers},
        output_dir=str(output_dir),
    )
    return Path(project)


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300):
    """Run a command; on failure show its output in the assertion message."""
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"`{' '.join(args)}` failed in {cwd} (exit {result.returncode})\n"
        f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
    )
    return result


def tool_env(**extra: str) -> dict[str, str]:
    """The environment for tools: this venv's bin (uv, ruff, cruft) first on PATH,
    and no DATABASE_URL leaking in from the caller unless asked for."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "VIRTUAL_ENV")}
    env["PATH"] = f"{TOOLS_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Python of a synced reference project, built once across all test workers."""
    root = tmp_path_factory.getbasetemp().parent / "shared-env"
    with FileLock(str(root) + ".lock"):
        python = root / "service_desk" / ".venv" / "bin" / "python"
        if not python.exists():
            shutil.rmtree(root, ignore_errors=True)
            project = bake(root)
            run(["uv", "sync", "--quiet", "--group", "diagrams"], cwd=project, env=tool_env())
    return python


def run_project_tests(project: Path, python: Path, suite: str = "app/tests", **extra_env: str):
    """Run one of a baked project's test suites with the shared environment."""
    env = tool_env(PYTHONPATH=str(project / "app" / "src"), **extra_env)
    return run(
        [str(python), "-m", "pytest", suite, "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
    )
