"""The KSB maps are the apprentice's: checked against the reference, never regenerated."""

from __future__ import annotations

from pathlib import Path

import pytest

from epa_toolkit import ksb, writing
from tests.documents import copy_project, edit

REFERENCE = writing.load_reference()


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path)


def test_the_reference_has_31_project_ksbs_in_8_themes_and_20_for_the_discussion():
    project = ksb.codes(REFERENCE, "project")
    assert len(project) == 31 and len(ksb.codes(REFERENCE, "discussion")) == 20
    themed = [code for theme in REFERENCE["project_themes"] for code in theme["ksbs"]]
    assert sorted(themed) == sorted(project)


def test_the_maps_list_every_ksb_once_with_its_title():
    assert ksb.map_problems() == []
    rows = ksb.read_map(writing.ROOT, Path("docs/portfolio.md"))
    assert len(rows) == 20 and all(row.evidence == "" for row in rows)


def test_edited_evidence_is_kept_and_still_checks(project):
    edit(project, "docs/portfolio.md", "| K3 |", "| K3 |")  # the row exists
    path = project / "docs" / "portfolio.md"
    lines = path.read_text().splitlines()
    k3 = next(i for i, line in enumerate(lines) if line.startswith("| K3 |"))
    lines[k3] = (
        lines[k3].rstrip().rstrip("|") + " Data-protection briefing I gave, [diary](records/diary.md) |"
    )
    path.write_text("\n".join(lines) + "\n")
    assert ksb.map_problems(project) == []
    assert "K3" not in [row.code for row in ksb.empty_evidence(project)]


def test_missing_duplicated_retitled_and_foreign_rows_are_named(project):
    edit(project, "docs/ksb-analysis.md", "| S20 |", "| S2 |")
    edit(project, "docs/ksb-analysis.md", "| K7 | General-purpose", "| K7 | General purpose")
    problems = ksb.map_problems(project)
    assert "docs/ksb-analysis.md: S20 is missing from the KSB map" in problems
    assert any(p.endswith("S2 is not a project KSB of ST0825") for p in problems)
    assert any("K7's title should be 'General-purpose programming" in p for p in problems)
