"""The dated plan: weeks from the latest sign-off, bank holidays, the last working day."""

from __future__ import annotations

import datetime as dt

import pytest

from epa_toolkit import plan, writing
from tests.documents import copy_project, edit

FACTS = writing.load_reference()["timeline"]


def test_13_weeks_from_the_latest_sign_off():
    timeline = plan.Timeline(dt.date(2027, 3, 1), FACTS)
    assert timeline.sign_off == dt.date(2027, 3, 15)
    assert timeline.week(1) == (dt.date(2027, 3, 15), dt.date(2027, 3, 21))
    assert timeline.week(13) == (dt.date(2027, 6, 7), dt.date(2027, 6, 13))
    assert timeline.deadline == dt.date(2027, 6, 11)  # Friday of week 13


def test_bank_holidays_are_flagged_and_the_deadline_avoids_them():
    # Week 13 runs Mon 10 to Sun 16 April 2028; Friday 14 April is Good Friday.
    timeline = plan.Timeline(dt.date(2028, 1, 3), FACTS)
    first, last = timeline.week(13)
    assert timeline.holidays_in(first, last) == ["Good Friday (Fri 14 Apr 2028)"]
    assert timeline.deadline == dt.date(2028, 4, 13)


def test_christmas_and_its_observed_days_fall_in_their_own_weeks():
    timeline = plan.Timeline(dt.date(2027, 12, 6), FACTS)
    assert timeline.holidays_in(*timeline.week(1)) == [
        "Christmas Day (Sat 25 Dec 2027)",
        "Boxing Day (Sun 26 Dec 2027)",
    ]
    assert timeline.holidays_in(*timeline.week(2)) == [
        "Christmas Day (observed) (Mon 27 Dec 2027)",
        "Boxing Day (observed) (Tue 28 Dec 2027)",
        "New Year's Day (Sat 1 Jan 2028)",  # across the year end
    ]


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path)


def test_redating_keeps_the_apprentices_steps(project):
    path = project / plan.BRIEF
    text = path.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| 3 |"))
    edit(
        project,
        str(plan.BRIEF),
        row,
        row.rstrip().rstrip("|") + " Pipeline: tests on every change |",
    )
    gateway = plan.GATEWAY_ROW.search(text)[1]
    later = (dt.date.fromisoformat(gateway) + dt.timedelta(weeks=1)).isoformat()
    edit(project, str(plan.BRIEF), f"| Gateway | {gateway} |", f"| Gateway | {later} |")
    assert plan.main(["--check"], project) == 1
    assert plan.main([], project) == 0
    redated = path.read_text()
    assert plan.main(["--check"], project) == 0
    new_row = next(line for line in redated.splitlines() if line.startswith("| 3 |"))
    assert new_row.endswith("| Pipeline: tests on every change |") and new_row != row


def test_a_brief_without_a_gateway_row_is_a_clear_error(project, capsys):
    text = (project / plan.BRIEF).read_text()
    (project / plan.BRIEF).write_text(plan.GATEWAY_ROW.sub("| Gateway | soon |", text))
    assert plan.main(["--check"], project) == 1
    assert "no `| Gateway | YYYY-MM-DD |` row" in capsys.readouterr().err
