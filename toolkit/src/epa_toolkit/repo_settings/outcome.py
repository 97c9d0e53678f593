"""Converge settings one at a time and say what happened to each.

Each setting is a step: a function that reads the current state and returns the `Change`
to make, or None when the setting is already as wanted. The runner makes the change
(unless it is a dry run) and prints one line per setting. A step that cannot be applied
(an API error, a plan without the feature) is reported and the others still run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    CREATED = "created"
    NOT_APPLIED = "not applied"


class NotApplied(Exception):
    """A setting that cannot be applied; the message says why and what to do."""


@dataclass(frozen=True)
class Change:
    detail: str  # what differs, in the user's words
    write: Callable[[], object]  # makes the change through the API
    created: bool = False


@dataclass(frozen=True)
class Outcome:
    setting: str
    status: Status
    detail: str = ""

    def line(self, dry_run: bool) -> str:
        if self.status == Status.UNCHANGED:
            return f"{self.setting}: unchanged"
        if self.status == Status.NOT_APPLIED:
            return f"{self.setting}: not applied: {self.detail}"
        if dry_run:
            verb = "would create" if self.status == Status.CREATED else "would change:"
        else:
            verb = "created" if self.status == Status.CREATED else "changed:"
        if self.status == Status.CREATED and self.detail:
            return f"{self.setting}: {verb} ({self.detail})"
        return f"{self.setting}: {verb} {self.detail}".rstrip()


Step = tuple[str, Callable[[], Change | None]]


def converge(
    steps: Iterable[Step],
    *,
    dry_run: bool,
    reason: Callable[[Exception], str | None],
    out: Callable[[str], object] = print,
) -> list[Outcome]:
    """Run each step in order; `reason` turns an API error into a message (None: not an
    API error, so a bug: let it raise)."""
    outcomes = []
    for setting, plan in steps:
        try:
            change = plan()
            if change is None:
                outcome = Outcome(setting, Status.UNCHANGED)
            else:
                if not dry_run:
                    change.write()
                status = Status.CREATED if change.created else Status.CHANGED
                outcome = Outcome(setting, status, change.detail)
        except NotApplied as error:
            outcome = Outcome(setting, Status.NOT_APPLIED, str(error))
        except Exception as error:
            why = reason(error)
            if why is None:
                raise
            outcome = Outcome(setting, Status.NOT_APPLIED, why)
        out(outcome.line(dry_run))
        outcomes.append(outcome)
    return outcomes


def summary(outcomes: list[Outcome], dry_run: bool) -> str:
    counts = Counter(o.status for o in outcomes)
    created, changed = counts[Status.CREATED], counts[Status.CHANGED]
    parts = (
        [f"{created} to create", f"{changed} to change"]
        if dry_run
        else [f"{created} created", f"{changed} changed"]
    )
    parts.append(f"{counts[Status.UNCHANGED]} unchanged")
    if counts[Status.NOT_APPLIED]:
        parts.append(f"{counts[Status.NOT_APPLIED]} not applied")
    text = ", ".join(parts) + "."
    if dry_run:
        text = f"Dry run, nothing was changed: {text}"
    if counts[Status.NOT_APPLIED]:
        text += (
            " Fix what the 'not applied' lines say, then run this again: it only changes what still differs."
        )
    return text
