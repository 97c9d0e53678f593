"""The template repository's own files: its CI workflow, scripts and Python are clean."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import TEMPLATE, TOOLS_BIN, run, tool_env

SHELL_SCRIPTS = ["scripts/generate", "scripts/test", "scripts/lib/ensure-uv.sh", ".ci/run"]


def test_template_workflow_matches_the_github_schema():
    run([str(TOOLS_BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
         ".github/workflows/template-ci.yml"], cwd=TEMPLATE)  # fmt: skip


def test_template_workflow_has_no_security_findings():
    run([str(TOOLS_BIN / "zizmor"), "--offline", "--no-progress", ".github/workflows/"], cwd=TEMPLATE)


def test_shell_scripts_pass_shellcheck():
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install shellcheck (see .ci/run)")
        pytest.skip("shellcheck is not installed (Debian package shellcheck)")
    run([shellcheck, "--external-sources", "--shell=bash", *SHELL_SCRIPTS], cwd=TEMPLATE)


def test_template_python_is_ruff_clean():
    run([str(TOOLS_BIN / "ruff"), "check", "--no-cache", "hooks", "tests"], cwd=TEMPLATE, env=tool_env())
    run([str(TOOLS_BIN / "ruff"), "format", "--check", "--no-cache", "hooks", "tests"], cwd=TEMPLATE,
        env=tool_env())  # fmt: skip
