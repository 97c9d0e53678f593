"""`make ready`: unfinished until every section, record, map row, week and ADR is done."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from epa_toolkit import ready, writing
from tests import apprentice
from tests.documents import copy_project, edit


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path)


def messages(items):
    return [str(item) for item in items]


def test_a_fresh_project_is_not_ready_and_every_section_is_named(project, capsys):
    assert ready.main([], project) == 1
    items = messages(ready.unfinished(project))
    for section, limits in writing.sections(project):
        assert f"{section.location}: {section.id}: not written yet (at least {limits.min} words)" in items
    assert any(
        item.endswith("K3: no evidence yet") and item.startswith("docs/portfolio.md:") for item in items
    )
    assert any(item.endswith("plan week 1: no steps yet") for item in items)
    assert any(
        item.startswith("docs/ksb-analysis.md:") and "K7: evidence is still the template's suggestion" in item
        for item in items
    )
    assert "KSBs evidenced: 0/31 project, 0/20 discussion" in ready.summary(project)
    assert any("status is still proposed" in item for item in items)
    assert "Not ready:" in capsys.readouterr().err


def test_finished_documents_are_ready_with_a_summary(project):
    apprentice.finish(project)
    assert messages(ready.unfinished(project)) == []
    summary = ready.summary(project, today=dt.date(2027, 1, 1))
    assert "KSBs evidenced: 31/31 project, 20/20 discussion" in summary
    assert "brief.summary 305/500" in summary and "ksb-analysis 205/300" in summary
    assert "Submission deadline:" in summary and "days from today" in summary


def test_a_map_row_left_as_the_template_wrote_it_is_named(project):
    original = (project / "docs" / "ksb-analysis.md").read_text()
    apprentice.finish(project)
    row = next(line for line in original.splitlines() if line.startswith("| S22 |"))
    finished = (project / "docs" / "ksb-analysis.md").read_text()
    mine = next(line for line in finished.splitlines() if line.startswith("| S22 |"))
    edit(project, "docs/ksb-analysis.md", mine, row)
    [item] = ready.unfinished(project)
    assert item.message.startswith("S22: evidence is still the template's suggestion")
    assert "KSBs evidenced: 30/31 project, 20/20 discussion" in ready.summary(project)


def test_under_the_floor_is_reported_with_its_count(project):
    apprentice.finish(project)
    path = project / "docs" / "records" / "refactor.md"
    text = path.read_text()
    start = text.index("<!-- write:begin refactor.change")
    end = text.index("<!-- write:end refactor.change")
    marker_end = text.index("-->", start) + 3
    path.write_text(text[:marker_end] + "\nRenamed one function.\n" + text[end:])
    [item] = ready.unfinished(project)
    assert item.location.startswith("docs/records/refactor.md:")
    assert item.message == "refactor.change: 3 words, at least 50 expected"


def test_a_paragraph_copied_from_the_examples_is_found(project):
    apprentice.finish(project)
    example = next(
        text
        for text in (project / "docs" / "examples" / "threat-model.md").read_text().split("\n\n")
        if len(text.split()) > 12 and not text.startswith(("#", ">", "<!--", "|"))
    )
    marker = "<!-- write:end threat.encryption -->"
    edit(project, "docs/threat-model.md", marker, f"\n{example}\n\n{marker}")
    [item] = ready.unfinished(project)  # one item for the paragraph, not one per line
    assert item.location.startswith("docs/threat-model.md:")
    assert "copied from the template's examples or guidance" in item.message


def test_a_copied_table_row_is_found_inside_your_own_table(project):
    apprentice.finish(project)
    row = next(
        line
        for line in (project / "docs" / "examples" / "threat-model.md").read_text().splitlines()
        if line.startswith("|") and len(line.split()) > 20
    )
    mine = "| Boundary | Threat | Example | L | I | Risk | Mitigation |\n|---|---|---|---|---|---|---|\n"
    mine += "| Users to edge | Spoofing | A colleague's session stolen on shared kiosks | 2 | 3 | 6 | Short sessions |\n"
    marker = "<!-- write:end threat.risks -->"
    edit(project, "docs/threat-model.md", marker, f"\n{mine}{row}\n{marker}")
    [item] = ready.unfinished(project)
    assert item.message.startswith("threat.risks: copied")
    line = int(item.location.rsplit(":", 1)[1])
    assert (project / "docs" / "threat-model.md").read_text().splitlines()[line - 1] == row


def test_a_missing_record_and_too_few_adrs_are_named(project):
    apprentice.finish(project)
    (project / "docs" / "records" / "performance-test.md").unlink()
    for adr in sorted((project / "docs" / "adr").glob("000[3-5]-*.md")):
        adr.unlink()
    items = messages(ready.unfinished(project))
    assert "docs/records/performance-test.md: required document: it is missing (0 found)" in items
    assert any(
        item.startswith("docs/adr/[0-9]") and "at least 3 files match (2 found)" in item for item in items
    )


def test_an_undated_adr_is_named(project):
    apprentice.finish(project)
    edit(project, "docs/adr/0002-nat-per-environment.md", "**Date:** 2027-04-01", "**Date:**")
    [item] = ready.unfinished(project)
    assert item.location.startswith("docs/adr/0002-nat-per-environment.md:")
    assert item.message.startswith("undated")


def test_without_the_template_fingerprints_it_cannot_check(project, capsys):
    (project / ready.FINGERPRINTS).unlink()
    assert ready.main([], project) == 2
    assert "Cannot check the documents" in capsys.readouterr().err


def test_the_copy_check_knows_the_template(project):
    assert len(ready.template_fingerprints(project)) > 100
    shutil.rmtree(project / "docs" / "examples")  # deleting the examples hides nothing
    assert len(ready.template_fingerprints(project)) > 100
