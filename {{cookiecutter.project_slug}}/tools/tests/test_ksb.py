"""The KSB reference data and the evidence map behind docs/ksb-analysis.md."""

from __future__ import annotations

from tools import ksb


def test_31_project_ksbs_in_8_themes_all_with_evidence():
    data = ksb.load()
    project = ksb.project_ksbs(data)
    assert len(project) == 31 and len(data["project_themes"]) == 8
    themed = [code for theme in data["project_themes"] for code in theme["ksbs"]]
    assert sorted(themed) == sorted(project)
    assert set(ksb.EVIDENCE) == set(project)


def test_evidence_paths_exist():
    missing = [
        path for paths in ksb.EVIDENCE.values() for path in paths if not (ksb.ROOT / path).exists()
    ]
    assert missing == []


def test_portfolio_lists_the_20_discussion_ksbs():
    table = ksb.render_portfolio(ksb.load())
    assert table.count("\n| ") - 1 == 20  # rows minus the header


def test_generated_tables_are_up_to_date():
    assert ksb.main(["--check"]) == 0, "run `make docs`"
