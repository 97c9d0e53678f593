"""Unit tests of hooks/post_gen_project.py."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEMPLATE, TOOLS_BIN, bake

IGNORE = shutil.ignore_patterns(".git", ".venv", ".tools", "__pycache__", ".pytest_cache", ".ruff_cache")
spec = importlib.util.spec_from_file_location("post_gen", TEMPLATE / "hooks" / "post_gen_project.py")
post_gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(post_gen)

ANSWERS = {
    "project_name": "Service Desk",
    "project_slug": "service_desk",
    "ci_provider": "gitlab",
    "_template": ".",
    "_output_dir": "/home/alex/code",
    "_checkout": None,
}


def test_template_location_keeps_urls_and_resolves_local_paths(tmp_path):
    assert post_gen.template_location({"_template": "gh:acme/epa-template"}) == "gh:acme/epa-template"
    url = "https://git.example.org/acme/epa-template.git"
    assert post_gen.template_location({"_template": url}) == url
    local = {"_template": ".", "_repo_dir": str(tmp_path / "x" / "..")}
    assert post_gen.template_location(local) == str(tmp_path)


def test_a_relative_template_path_is_where_cookiecutter_was_started(tmp_path, monkeypatch):
    """`cookiecutter .`: the hook runs in the new project, the path is relative to the shell's."""
    monkeypatch.setenv("PWD", str(tmp_path))
    assert post_gen.template_location({"_template": ".", "_repo_dir": "."}) == str(tmp_path)
    assert post_gen.template_dir({"_repo_dir": "/abs/template"}) == Path("/abs/template")


def test_cookiecutter_dot_records_the_template_for_updates(tmp_path):
    output = tmp_path / "out"
    subprocess.run(
        [str(TOOLS_BIN / "cookiecutter"), ".", "--no-input", "-o", str(output), "gateway_date=2027-03-01"],
        cwd=TEMPLATE, env={**os.environ, "PWD": str(TEMPLATE)}, check=True, capture_output=True,
    )  # fmt: skip
    cruft = json.loads((output / "service_desk" / ".cruft.json").read_text())
    assert cruft["template"] == str(TEMPLATE)


def test_cruft_state_matches_cruft_and_drops_machine_specific_keys(tmp_path):
    answers = {**ANSWERS, "_repo_dir": str(tmp_path)}
    state = post_gen.cruft_state(answers, "abc123")
    context = state["context"]["cookiecutter"]
    assert state["template"] == str(tmp_path) and state["commit"] == "abc123"
    assert context["_template"] == str(tmp_path) and context["_commit"] == "abc123"
    assert not {"_output_dir", "_repo_dir", "_checkout"} & context.keys()
    assert context["project_slug"] == "service_desk"
    assert set(state) == {"template", "commit", "checkout", "context", "directory"}


def test_no_cruft_file_under_cruft_or_outside_git(tmp_path):
    assert post_gen.record_answers_for_updates(tmp_path, {**ANSWERS, "_commit": "abc"}) is None
    assert not (tmp_path / ".cruft.json").exists()
    warning = post_gen.record_answers_for_updates(tmp_path, {**ANSWERS, "_repo_dir": str(tmp_path)})
    assert "cruft link" in warning
    assert not (tmp_path / ".cruft.json").exists()


def test_cruft_file_written_from_a_git_template(tmp_path):
    repo = tmp_path / "template"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    commit = post_gen.template_commit(str(repo))
    project = tmp_path / "project"
    project.mkdir()
    assert post_gen.record_answers_for_updates(project, {**ANSWERS, "_repo_dir": str(repo)}) is None
    assert f'"commit": "{commit}"' in (project / ".cruft.json").read_text()


def test_gitlab_layout_moves_review_files_and_drops_github(tmp_path):
    for path in [".github/CODEOWNERS", ".github/pull_request_template.md", ".github/dependabot.yml"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(path)
    post_gen.use_gitlab_layout(tmp_path)
    assert (tmp_path / ".gitlab/CODEOWNERS").read_text() == ".github/CODEOWNERS"
    template = tmp_path / ".gitlab/merge_request_templates/Default.md"
    assert template.read_text() == ".github/pull_request_template.md"
    assert not (tmp_path / ".github").exists()


def test_remove_gitlab_files_tolerates_absent_files(tmp_path):
    (tmp_path / "renovate.json").write_text("{}")
    post_gen.remove_gitlab_files(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_next_steps_name_the_folder_and_host():
    text = post_gen.next_steps({**ANSWERS, "ci_provider": "github"})
    assert "cd service_desk" in text and "to GitHub" in text
    assert "make test" in text and "make run" in text


def test_the_plan_is_dated_at_generation_with_bank_holidays(tmp_path):
    project = bake(tmp_path, gateway_date="2027-03-01")
    brief = (project / "docs" / "project-brief.md").read_text()
    assert "| 1 | Mon 15 Mar 2027 to Sun 21 Mar 2027 |  |  |" in brief
    assert "| 2 | Mon 22 Mar 2027 to Sun 28 Mar 2027 | Good Friday (Fri 26 Mar 2027) |  |" in brief
    assert "Project submission deadline: **Fri 11 Jun 2027** (last working day)" in brief


def test_without_holidays_the_plan_waits_for_make_setup(tmp_path, monkeypatch):
    import epa_toolkit

    # The plan's module cannot be imported (it needs `holidays`): None in sys.modules says so.
    monkeypatch.delattr(epa_toolkit, "plan", raising=False)
    monkeypatch.setitem(sys.modules, "epa_toolkit.plan", None)
    assert "make setup" in post_gen.write_plan(tmp_path)


def test_the_templates_paragraphs_are_fingerprinted(tmp_path):
    project = bake(tmp_path)
    fingerprints = (project / "docs" / "reference" / "template-paragraphs.txt").read_text().splitlines()
    assert fingerprints[0].startswith("# ") and fingerprints[1:] == sorted(fingerprints[1:])
    from epa_toolkit import prose

    example = (project / "docs" / "examples" / "threat-model.md").read_text()
    assert prose.fingerprints(example) <= set(fingerprints[1:])


def test_next_steps_put_uv_on_path_when_scripts_generate_installed_it():
    answers = {**ANSWERS, "ci_provider": "github"}
    assert "export PATH" not in post_gen.next_steps(answers)
    text = post_gen.next_steps(answers, "/home/alex/epa template/.tools/uv")
    steps = [line.strip() for line in text.splitlines()]
    export = "export PATH='/home/alex/epa template/.tools/uv':\"$PATH\""
    [export_line] = [line for line in steps if line.startswith(export)]
    [setup_line] = [line for line in steps if line.startswith("make setup")]
    assert steps.index(export_line) < steps.index(setup_line)


# Where scripts/generate's uv would be found if the machine had one: these tests need none there.
SYSTEM_PATH = "/usr/bin:/bin"
needs_no_system_uv = pytest.mark.skipif(
    shutil.which("uv", path=SYSTEM_PATH) is not None, reason=f"uv is installed in {SYSTEM_PATH}"
)
FAKE_UV = """#!/bin/bash
# A fake uv: logs its arguments; `uv tool run ... cookiecutter ARGS` runs the real cookiecutter.
echo "$*" >> "$(dirname "$(readlink -f "$0")")/uv-calls.log"
if [ "$1 $2" = "tool run" ]; then
    while [ "$1" != cookiecutter ]; do shift; done
    shift
    exec {cookiecutter} "$@"
fi
"""


def fake_template_tools(template: Path) -> Path:
    """.tools/ as scripts/lib/ensure-uv.sh leaves it after installing uv, with fake uv and uvx."""
    bin_dir = template / ".tools" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("uv", "uvx", "python", "python3", "pip"):
        (bin_dir / name).write_text(FAKE_UV.format(cookiecutter=TOOLS_BIN / "cookiecutter"))
        (bin_dir / name).chmod(0o755)
    return bin_dir


@needs_no_system_uv
def test_ensure_uv_puts_only_uv_on_path_and_says_where(tmp_path):
    lib = tmp_path / "template" / "scripts" / "lib"
    lib.mkdir(parents=True)
    shutil.copy(TEMPLATE / "scripts" / "lib" / "ensure-uv.sh", lib)
    fake_template_tools(tmp_path / "template")
    script = 'source scripts/lib/ensure-uv.sh; echo "$EPA_TEMPLATE_UV_DIR"; command -v uv; command -v python3'
    result = subprocess.run(
        ["/bin/bash", "-c", script], cwd=tmp_path / "template", env={"PATH": SYSTEM_PATH},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    uv_dir = tmp_path / "template" / ".tools" / "uv"
    assert result.stdout.splitlines()[:2] == [str(uv_dir), str(uv_dir / "uv")]
    assert result.stdout.splitlines()[2] != str(uv_dir.parent / "bin" / "python3"), "the venv's python leaked"
    assert sorted(path.name for path in uv_dir.iterdir()) == ["uv", "uvx"]

    # With uv already on PATH, the script changes nothing and the hook prints no extra step.
    result = subprocess.run(
        ["/bin/bash", "-c", script], cwd=tmp_path / "template",
        env={"PATH": f"{uv_dir.parent / 'bin'}:{SYSTEM_PATH}"}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout.splitlines()[0] == ""


@needs_no_system_uv
def test_the_printed_first_steps_work_after_scripts_generate(tmp_path):
    """On a machine without uv, scripts/generate installs it for itself (here: a fake, already
    in .tools/); the next steps it prints, run as printed, get through `make setup`."""
    template = tmp_path / "epa template"
    shutil.copytree(TEMPLATE, template, ignore=IGNORE)
    bin_dir = fake_template_tools(template)
    work = tmp_path / "work"
    work.mkdir()
    env = {"PATH": SYSTEM_PATH, "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    generated = subprocess.run(
        [str(template / "scripts" / "generate"), "--no-input", "gateway_date=2027-03-01"],
        cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    lines = generated.stdout.splitlines()
    steps = [line.strip() for line in lines[lines.index("Next steps:") + 1 :]]
    first_steps = steps[: next(i for i, step in enumerate(steps) if step.startswith("make setup")) + 1]
    assert any(step.startswith("export PATH=") for step in first_steps), first_steps

    without_uv = [step for step in first_steps if not step.startswith("export PATH=")]
    failed = subprocess.run(
        ["/bin/bash", "-ec", "\n".join(without_uv)], cwd=work, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert failed.returncode != 0 and "run the 'export PATH=...' line it printed" in failed.stderr
    shutil.rmtree(work / "service_desk" / ".git")

    (bin_dir / "uv-calls.log").unlink()
    setup = subprocess.run(
        ["/bin/bash", "-ec", "\n".join(first_steps)], cwd=work, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "sync" in (bin_dir / "uv-calls.log").read_text().splitlines()


SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("answers", "published", "expected"),
    [
        ({"_template": "gh:acme/epa-template"}, None,
         'epa-toolkit = { git = "https://github.com/acme/epa-template", rev = "SHA", subdirectory = "toolkit" }'),
        ({"_template": "git@gitlab.com:acme/epa-template.git"}, None,
         'epa-toolkit = { git = "ssh://git@gitlab.com/acme/epa-template.git", rev = "SHA", subdirectory = "toolkit" }'),
        ({"_template": "/src/epa-template", "_commit": SHA}, None,  # cruft, from a local repository
         'epa-toolkit = { git = "file:///src/epa-template", rev = "SHA", subdirectory = "toolkit" }'),
        ({"_template": "/src/epa-template", "_repo_dir": "/src/epa-template"}, None,
         'epa-toolkit = { path = "/src/epa-template/toolkit" }'),
        ({"_template": "/src/epa-template", "_repo_dir": "/src/epa-template"}, "https://github.com/acme/epa-template",
         'epa-toolkit = { git = "https://github.com/acme/epa-template", rev = "SHA", subdirectory = "toolkit" }'),
    ],
    ids=["github-shorthand", "ssh", "cruft-local", "local-checkout", "clone-of-published"],
)  # fmt: skip
def test_the_toolkit_source_is_pinned_to_the_commit(monkeypatch, answers, published, expected):
    monkeypatch.setattr(post_gen, "template_commit", lambda _: SHA)
    monkeypatch.setattr(post_gen, "published_toolkit", lambda _: published)
    assert post_gen.toolkit_source(answers) == expected.replace("SHA", SHA)


def test_a_clone_with_local_changes_to_the_toolkit_is_not_published(tmp_path):
    repo = tmp_path / "template"
    (repo / "toolkit").mkdir(parents=True)
    (repo / "toolkit" / "x.py").write_text("x = 1\n")
    for args in (["init", "-q"], ["remote", "add", "origin", "https://github.com/acme/epa-template"],
                 ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "x"]):  # fmt: skip
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    assert post_gen.published_toolkit(repo) == "https://github.com/acme/epa-template"
    (repo / "toolkit" / "x.py").write_text("x = 2\n")
    assert post_gen.published_toolkit(repo) is None


@pytest.mark.parametrize("starter", ["minimal", "reference"])
def test_a_bake_keeps_its_starters_files_only(tmp_path, starter):
    """Every path STARTER_ONLY names exists in its own starter's bake (a renamed file cannot
    silently escape the pruning) and in no other starter's."""
    project = bake(tmp_path, starter=starter)
    package = f"app/src/{project.name}"
    for owner, paths in post_gen.STARTER_ONLY.items():
        for path in paths:
            exists = (project / path.replace("PACKAGE", package)).exists()
            assert exists == (owner == starter), f"{path} in a {starter} bake"
