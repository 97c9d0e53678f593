"""Generated projects can be checked and updated from the template with cruft."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import TEMPLATE, TOOLS_BIN, bake, run, tool_env

IGNORE = shutil.ignore_patterns(".git", ".venv", ".tools", "__pycache__", ".pytest_cache", ".ruff_cache")


def git(*args: str, cwd: Path) -> None:
    run(["git", *args], cwd=cwd, env=tool_env())


@pytest.fixture
def template_repo(tmp_path) -> Path:
    """A git copy of the template as it is in this working tree (committed or not)."""
    repo = tmp_path / "template"
    shutil.copytree(TEMPLATE, repo, ignore=IGNORE)
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "template", cwd=repo)
    return repo


def cruft(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(TOOLS_BIN / "cruft"), *args], cwd=cwd, env=tool_env(), capture_output=True, text=True,
        check=False,
    )  # fmt: skip


def change_template(repo: Path) -> None:
    makefile = repo / "{{cookiecutter.project_slug}}" / "Makefile"
    makefile.write_text(makefile.read_text() + "\n# A later template improvement.\n")
    git("commit", "-q", "-am", "improve the Makefile", cwd=repo)


def commit_project(project: Path) -> None:
    git("init", "-q", "-b", "main", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-q", "-m", "generated", cwd=project)


def test_cruft_create_check_and_update(template_repo, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    answers = '{"gateway_date": "2027-03-01", "ci_provider": "gitlab"}'
    created = cruft("create", str(template_repo), "--no-input", "--extra-context", answers, cwd=out)
    assert created.returncode == 0, created.stderr
    project = out / "service_desk"
    assert (project / ".gitlab" / "CODEOWNERS").is_file()
    assert cruft("check", cwd=project).returncode == 0

    commit_project(project)
    change_template(template_repo)
    assert cruft("check", cwd=project).returncode != 0, "check must notice the newer template"
    updated = cruft("update", "--skip-apply-ask", "--allow-untracked-files", cwd=project)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "A later template improvement." in (project / "Makefile").read_text()
    assert cruft("check", cwd=project).returncode == 0


def test_plain_cookiecutter_project_is_linked_for_updates(template_repo, tmp_path):
    from cookiecutter.main import cookiecutter

    project = Path(cookiecutter(str(template_repo), no_input=True, output_dir=str(tmp_path / "out"),
                                extra_context={"gateway_date": "2027-03-01"}))  # fmt: skip
    assert cruft("check", cwd=project).returncode == 0
    commit_project(project)
    change_template(template_repo)
    updated = cruft("update", "--skip-apply-ask", cwd=project)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "A later template improvement." in (project / "Makefile").read_text()


def test_bake_from_the_working_tree_records_its_commit(tmp_path):
    project = bake(tmp_path)
    head = run(["git", "rev-parse", "HEAD"], cwd=TEMPLATE).stdout.strip()
    assert f'"commit": "{head}"' in (project / ".cruft.json").read_text()


def toolkit_pin(project: Path) -> str:
    lines = (project / "pyproject.toml").read_text().splitlines()
    [pin] = [line for line in lines if line.startswith("epa-toolkit = ")]
    return pin


def test_the_toolkit_is_pinned_to_the_template_commit_and_moves_with_updates(template_repo, tmp_path):
    """cruft generates from a commit, so the toolkit is pinned to that commit (uv's git
    source; file:// here, a host's URL in real life), and `cruft update` moves the pin."""
    url = template_repo.resolve().as_uri()
    out = tmp_path / "out"
    out.mkdir()
    created = cruft(
        "create",
        str(template_repo),
        "--no-input",
        "--extra-context",
        '{"gateway_date": "2027-03-01"}',
        cwd=out,
    )
    assert created.returncode == 0, created.stderr
    project = out / "service_desk"
    first = run(["git", "rev-parse", "HEAD"], cwd=template_repo).stdout.strip()
    assert toolkit_pin(project) == (
        f'epa-toolkit = {{ git = "{url}", rev = "{first}", subdirectory = "toolkit" }}'
    )
    commit_project(project)
    change_template(template_repo)
    second = run(["git", "rev-parse", "HEAD"], cwd=template_repo).stdout.strip()
    updated = cruft("update", "--skip-apply-ask", cwd=project)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert toolkit_pin(project) == (
        f'epa-toolkit = {{ git = "{url}", rev = "{second}", subdirectory = "toolkit" }}'
    )
    assert json.loads((project / ".cruft.json").read_text())["commit"] == second


def test_a_local_checkout_pins_its_own_toolkit_folder(tmp_path):
    project = bake(tmp_path)
    assert toolkit_pin(project) == f'epa-toolkit = {{ path = "{TEMPLATE.resolve() / "toolkit"}" }}'
