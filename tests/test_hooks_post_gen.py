"""Unit tests of hooks/post_gen_project.py."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

from conftest import TEMPLATE, TOOLS_BIN, bake

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
    def no_holidays(project, name):
        raise ImportError("No module named 'holidays'")

    monkeypatch.setattr(post_gen, "load_project_module", no_holidays)
    assert "make setup" in post_gen.write_plan(tmp_path)


def test_the_templates_paragraphs_are_fingerprinted(tmp_path):
    project = bake(tmp_path)
    fingerprints = (project / "docs" / "reference" / "template-paragraphs.txt").read_text().splitlines()
    assert fingerprints[0].startswith("# ") and fingerprints[1:] == sorted(fingerprints[1:])
    prose = post_gen.load_project_module(project, "prose")
    example = (project / "docs" / "examples" / "threat-model.md").read_text()
    assert prose.fingerprints(example) <= set(fingerprints[1:])
