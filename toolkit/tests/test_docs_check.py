"""`make docs-check`: passes on a fresh project, names the file and line of each problem."""

from __future__ import annotations

import pytest

from epa_toolkit import docs_check, writing
from tests.apprentice import words
from tests.documents import copy_project, edit


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path)


def analysis(project, count: int) -> None:
    marker = writing.Limits("ksb-analysis", 200, 300).marker()
    edit(project, "docs/ksb-analysis.md", marker, f"{marker}\n{words('analysis', count)}\n")


def test_a_fresh_project_passes():
    assert docs_check.problems() == []


def test_300_words_pass_and_301_fail(project):
    analysis(project, 300)
    assert docs_check.section_problems(project) == []
    edit(project, "docs/ksb-analysis.md", "<!-- write:end", "extra <!-- write:end")
    [problem] = docs_check.section_problems(project)
    assert problem.startswith("docs/ksb-analysis.md:") and problem.endswith("301 words, the limit is 300")


def test_unpaired_undeclared_and_missing_sections_are_named(project):
    edit(project, "docs/threat-model.md", "<!-- write:end threat.review -->", "")
    edit(
        project,
        "docs/runbook.md",
        "<!-- write:begin runbook.alarms",
        "<!-- write:begin runbook.alarm",
    )
    edit(project, "docs/runbook.md", "<!-- write:end runbook.alarms", "<!-- write:end runbook.alarm")
    problems = docs_check.section_problems(project)
    assert any(
        p.startswith("docs/threat-model.md:") and "threat.review has no write:end" in p for p in problems
    )
    assert any("section runbook.alarm is not declared for this file" in p for p in problems)
    assert "docs/runbook.md: section runbook.alarms is missing" in problems


def test_markers_carry_the_yaml_limits(project):
    edit(project, "docs/user-stories.md", "stories.must min=100", "stories.must min=10")
    [problem] = docs_check.section_problems(project)
    assert "marker should read <!-- write:begin stories.must min=100 -->: run `make docs`" in problem
    assert [p.as_posix() for p in writing.write_markers(project)] == ["docs/user-stories.md"]
    assert docs_check.section_problems(project) == []


def test_links_resolve_and_a_broken_one_is_named(project):
    assert docs_check.broken_links(project) == []
    (project / "docs" / "runbook.md").write_text("See [the plan](nowhere.md#top). `[code](x.md)`")
    assert docs_check.broken_links(project) == ["docs/runbook.md: link to nowhere.md#top does not resolve"]


def test_a_stale_plan_is_reported(project):
    edit(project, "docs/project-brief.md", "Gateway | 20", "Gateway | 19")
    assert any("the dated plan is out of date" in p for p in docs_check.generated_problems(project))
