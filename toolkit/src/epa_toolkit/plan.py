"""The dated plan in docs/project-brief.md: weeks, bank holidays and the deadline
from the gateway date in the brief, steps from the apprentice.

    python -m epa_toolkit.plan            # write the plan table (your steps are kept)
    python -m epa_toolkit.plan --check    # exit 1 if the dates are out of date

The weeks count from the latest sign-off (gateway + `sign_off_weeks_after_gateway`); the
deadline is the last working day (not a weekend or a bank holiday) of the last week
(`submit_weeks_after_sign_off`): both from the `timeline:` of the reference YAML.
Change the `| Gateway | ... |` row of the brief and run `make docs` to re-date the plan.
Imports only PyYAML and `holidays`: the template's generation hook runs it too.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import holidays
import yaml

from project_facts import project_root
from project_facts.generated import between, sync

ROOT = project_root()  # the project this runs in (project_facts)
BRIEF = Path("docs/project-brief.md")
REFERENCE = Path("docs/reference/ksb-st0825.yaml")
BEGIN, END = "<!-- plan:begin -->", "<!-- plan:end -->"
GATEWAY_ROW = re.compile(r"^\|\s*Gateway\s*\|\s*(\d{4}-\d{2}-\d{2})\s*\|", re.MULTILINE)
WEEK_ROW = re.compile(r"^\|\s*(\d+)\s*\|.*\|\s*(.*?)\s*\|\s*$")
# Bank holidays of England and Wales; use "SCT" or "NIR" where you work.
BANK_HOLIDAY_REGION = "ENG"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day(date: dt.date) -> str:
    """Locale-independent, so every machine writes the same bytes."""
    return f"{DAYS[date.weekday()]} {date.day} {MONTHS[date.month - 1]} {date.year}"


class Timeline:
    """Gateway, sign-off, weeks and deadline, from the EPA facts in the reference YAML."""

    def __init__(self, gateway: dt.date, facts: dict) -> None:
        self.gateway = gateway
        self.sign_off = gateway + dt.timedelta(weeks=facts["sign_off_weeks_after_gateway"])
        self.weeks = facts["submit_weeks_after_sign_off"]
        self.bank_holidays = holidays.country_holidays(
            "GB", subdiv=BANK_HOLIDAY_REGION, years=range(gateway.year, gateway.year + 2)
        )
        last = self.sign_off + dt.timedelta(weeks=self.weeks, days=-1)  # the end of the last week
        while last.weekday() >= 5 or last in self.bank_holidays:
            last -= dt.timedelta(days=1)
        self.deadline = last

    def week(self, number: int) -> tuple[dt.date, dt.date]:
        first = self.sign_off + dt.timedelta(weeks=number - 1)
        return first, first + dt.timedelta(days=6)

    def holidays_in(self, first: dt.date, last: dt.date) -> list[str]:
        return [
            f"{name} ({day(date)})"
            for date, name in sorted(self.bank_holidays.items())
            if first <= date <= last
        ]


def load_timeline(root: Path = ROOT, text: str | None = None) -> Timeline:
    text = (root / BRIEF).read_text(encoding="utf-8") if text is None else text
    match = GATEWAY_ROW.search(text)
    if not match:
        raise ValueError(f"{BRIEF}: no `| Gateway | YYYY-MM-DD |` row to date the plan from")
    facts = yaml.safe_load((root / REFERENCE).read_text(encoding="utf-8"))["timeline"]
    return Timeline(dt.date.fromisoformat(match[1]), facts)


def steps_by_week(block: str) -> dict[int, str]:
    """The apprentice's steps (the last column) of an existing plan table."""
    return {int(m[1]): m[2] for m in map(WEEK_ROW.match, block.splitlines()) if m}


def render(timeline: Timeline, steps: dict[int, str]) -> str:
    t = timeline
    lines = [
        BEGIN,
        "<!-- Dates by `make docs` from the Gateway row above; only the last column is yours. -->",
        "",
        f"- Gateway: **{day(t.gateway)}**",
        f"- Title and summary signed off by: **{day(t.sign_off)}** (at the latest)",
        f"- Project submission deadline: **{day(t.deadline)}** (last working day)",
        "",
        "| Week | Dates | Bank holidays | Your steps |",
        "|---|---|---|---|",
    ]
    for number in range(1, t.weeks + 1):
        first, last = t.week(number)
        flagged = "; ".join(t.holidays_in(first, last))
        lines.append(f"| {number} | {day(first)} to {day(last)} | {flagged} | {steps.get(number, '')} |")
    lines.append(END)
    return "\n".join(lines)


def current_block(text: str) -> tuple[int, int]:
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{BRIEF}: the plan markers {BEGIN} ... {END} are missing")
    return start, end + len(END)


def updated(text: str, root: Path = ROOT) -> str:
    start, end = current_block(text)
    block = render(load_timeline(root, text), steps_by_week(text[start:end]))
    return between(text, BEGIN, END, block, BRIEF)


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        new = updated((root / BRIEF).read_text(encoding="utf-8"), root)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    stale = f"{BRIEF}: the plan's dates are out of date: run `make docs`."
    return sync(root / BRIEF, new, check="--check" in args, stale=stale)


if __name__ == "__main__":
    sys.exit(main())
