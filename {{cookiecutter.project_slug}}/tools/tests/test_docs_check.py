"""The document checks: word limits, KSB coverage, links."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools import docs_check, ksb

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of this project's README and docs to break on purpose."""
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    # Everything else the documents link to (code, pipelines), as it is.
    for entry in ROOT.iterdir():
        if entry.name not in ("README.md", "docs"):
            (tmp_path / entry.name).symlink_to(entry)
    return tmp_path


def write_analysis(project: Path, words: int) -> None:
    path = project / "docs" / "ksb-analysis.md"
    begin, end = docs_check.WORD_LIMITS[0][1]
    prose = " ".join(["evidence"] * words)
    path.write_text(ksb.replace_between(path.read_text(), (begin, end), f"{begin}\n{prose}\n{end}"))


def test_counting_rule():
    text = (
        "# Heading not counted\n<!-- nor this -->\nThe [pipeline](../ci.yml) runs - 3 tests | ok |"
    )
    assert docs_check.count_words(text) == 6  # The pipeline runs 3 tests ok


def test_300_words_pass_and_301_fail(project):
    write_analysis(project, 300)
    assert docs_check.word_limit_problems(project) == []
    write_analysis(project, 301)
    assert docs_check.word_limit_problems(project) == [
        "docs/ksb-analysis.md: 301 words, the limit is 300"
    ]


def test_every_project_ksb_is_in_the_table(project):
    assert docs_check.missing_ksbs(project) == []
    path = project / "docs" / "ksb-analysis.md"
    path.write_text(path.read_text().replace("| S20 |", "| S2O |"))
    assert docs_check.missing_ksbs(project) == [
        "docs/ksb-analysis.md: S20 is missing from the KSB table"
    ]


def test_links_resolve_and_a_broken_one_is_named(project):
    assert docs_check.broken_links(project) == []
    (project / "docs" / "runbook.md").write_text("See [the plan](nowhere.md#top).")
    assert docs_check.broken_links(project) == [
        "docs/runbook.md: link to nowhere.md#top does not resolve"
    ]


def test_the_committed_documents_pass():
    assert docs_check.main() == 0
