"""`make ready`, before submission: is everything the assessor expects written, by you?

    python -m epa_toolkit.ready

Lists every unfinished item with its file and line:
- a document or record that is missing (or fewer ADRs than required);
- a writing section under its floor (docs/reference/ksb-st0825.yaml);
- a paragraph identical to one of the template's guidance or example paragraphs
  (fingerprints in docs/reference/template-paragraphs.txt, written at generation);
- a KSB map or portfolio row without evidence, or with the template's suggested evidence
  unchanged; a plan week without steps;
- an ADR still "proposed" or undated;
- anything `make docs-check` reports.
On success it prints a readiness summary: words per document against the limits, KSBs
evidenced, days to the submission deadline.

Exit codes: 0 ready; 1 unfinished items (listed); 2 the documents cannot be read (the
reference YAML or the template fingerprints are missing).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from epa_toolkit import docs_check, ksb, plan, prose, writing

FINGERPRINTS = Path("docs/reference/template-paragraphs.txt")
STATUS = re.compile(r"^\*\*Status:\*\*\s*(?P<status>.*)$", re.MULTILINE)
DATE = re.compile(r"^\*\*Date:\*\*\s*(?P<date>\d{4}-\d{2}-\d{2})\b", re.MULTILINE)


@dataclass(frozen=True)
class Item:
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def _item(problem: str) -> Item:
    location, _, message = problem.partition(": ")
    return Item(location, message)


def template_fingerprints(root: Path) -> set[str]:
    lines = (root / FINGERPRINTS).read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def missing_documents(root: Path, reference: dict) -> list[Item]:
    items = []
    for doc in writing.documents(reference):
        count = len(doc.files(root))
        if count < doc.min_files:
            wanted = f"at least {doc.min_files} files match" if doc.min_files > 1 else "it is missing"
            items.append(Item(doc.pattern, f"required document: {wanted} ({count} found)"))
    return items


def copied(block: list[tuple[int, str]], copies: set[str]) -> list[tuple[int, str]]:
    """The whole block when it is a copy, else each copied line of it (a row, a bullet)."""
    whole, *lines = prose.units(block)
    if prose.fingerprint(whole[1]) in copies:
        return [whole]
    return [(index, text) for index, text in lines if prose.fingerprint(text) in copies]


def unwritten_sections(root: Path, reference: dict, copies: set[str]) -> list[Item]:
    items = []
    for section, limits in writing.sections(root, reference):
        if limits is None:
            continue  # docs-check names undeclared sections
        words = section.words
        if words == 0:
            items.append(
                Item(section.location, f"{section.id}: not written yet (at least {limits.min} words)")
            )
        elif words < limits.min:
            items.append(
                Item(section.location, f"{section.id}: {words} words, at least {limits.min} expected")
            )
        body_line = section.line + section.marker.count("\n")
        for block in prose.blocks(section.body):
            for index, text in copied(block, copies):
                start = " ".join(text.split()[:8])
                items.append(
                    Item(
                        f"{section.path.as_posix()}:{body_line + index}",
                        f"{section.id}: copied from the template's examples or guidance "
                        f'("{start} ..."): write your own',
                    )
                )
    return items


def template_row(row: ksb.Row, copies: set[str]) -> bool:
    """A map row exactly as the template suggested it."""
    return bool(prose.fingerprints(row.text) & copies)


def missing_evidence(root: Path, reference: dict, copies: set[str]) -> list[Item]:
    items = [
        Item(row.location, f"{row.code}: no evidence yet") for row in ksb.empty_evidence(root, reference)
    ]
    for rows, _ in ksb.evidenced(root, reference).values():
        items += [
            Item(
                row.location,
                f"{row.code}: evidence is still the template's suggestion: "
                "point it at your own work (a record, a commit, a pipeline run)",
            )
            for row in rows
            if template_row(row, copies)
        ]
    return items


def plan_without_steps(root: Path) -> list[Item]:
    text = (root / plan.BRIEF).read_text(encoding="utf-8")
    start = text.find(plan.BEGIN)
    if start < 0:
        return []  # docs-check reports the missing markers
    first_line = text.count("\n", 0, start) + 1
    items = []
    for offset, line in enumerate(text[start : text.find(plan.END)].splitlines()):
        match = plan.WEEK_ROW.match(line)
        if match and not prose.is_word(match[2]):
            items.append(Item(f"{plan.BRIEF}:{first_line + offset}", f"plan week {match[1]}: no steps yet"))
    return items


def undecided(root: Path, reference: dict) -> list[Item]:
    """Documents with a **Status:** line (ADRs) must be decided and dated."""
    items = []
    for path in writing.document_files(root, reference):
        text = prose.blank_comments((root / path).read_text(encoding="utf-8"))
        status = STATUS.search(text)
        if not status:
            continue
        line = text.count("\n", 0, status.start()) + 1
        if status["status"].strip().lower() in ("", "proposed"):
            items.append(Item(f"{path}:{line}", "status is still proposed: accept, reject or supersede it"))
        if not DATE.search(text):
            items.append(Item(f"{path}:{line + 1}", "undated: give the date of the decision (YYYY-MM-DD)"))
    return items


def unfinished(root: Path = writing.ROOT) -> list[Item]:
    reference = writing.load_reference(root)
    found = [_item(problem) for problem in docs_check.problems(root)]
    found += missing_documents(root, reference)
    copies = template_fingerprints(root)
    with contextlib.suppress(writing.MarkerError):  # docs-check reported it
        found += unwritten_sections(root, reference, copies)
    found += missing_evidence(root, reference, copies)
    found += plan_without_steps(root)
    found += undecided(root, reference)
    return found


def summary(root: Path = writing.ROOT, today: dt.date | None = None) -> str:
    reference = writing.load_reference(root)
    lines = ["Document                                   Words  Limits"]
    by_path: dict[Path, list] = {}
    try:
        for section, limits in writing.sections(root, reference):
            by_path.setdefault(section.path, []).append((section, limits))
    except writing.MarkerError:
        pass
    for path, found in by_path.items():
        words = sum(section.words for section, _ in found)
        limited = ", ".join(
            f"{section.id} {section.words}/{limits.max}" for section, limits in found if limits and limits.max
        )
        lines.append(f"{path.as_posix():<42} {words:>5}  {limited}")
    copies = template_fingerprints(root)
    counts = ", ".join(
        f"{sum(not template_row(row, copies) for row in rows)}/{total} {method}"
        for method, (rows, total) in ksb.evidenced(root, reference).items()
    )
    lines.append(f"KSBs evidenced: {counts}")
    try:
        deadline = plan.load_timeline(root).deadline
        days = (deadline - (today or dt.date.today())).days
        lines.append(f"Submission deadline: {plan.day(deadline)} ({days} days from today)")
    except (OSError, ValueError) as error:
        lines.append(f"Submission deadline: unknown ({error})")
    return "\n".join(lines)


def main(argv: list[str] | None = None, root: Path = writing.ROOT) -> int:
    try:
        items = unfinished(root)
    except (OSError, KeyError) as error:
        print(f"Cannot check the documents: {error}", file=sys.stderr)
        return 2
    print(summary(root))
    if items:
        print(f"\nNot ready: {len(items)} unfinished item(s).", file=sys.stderr)
        for item in items:
            print(f"  {item}", file=sys.stderr)
        return 1
    print("\nReady: every section is written, every KSB has evidence. Next: `make evidence`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
