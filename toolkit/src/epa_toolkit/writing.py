"""The apprentice's documents and their writing sections, as declared in
docs/reference/ksb-st0825.yaml (`documents:`).

A writing section is the passage between

    <!-- write:begin threat.risks min=150 -->
    ...
    <!-- write:end threat.risks -->

It starts with guidance only (HTML comments) and the apprentice writes the rest. The numbers
in a begin marker are copied from the YAML by `make docs` for the reader; the YAML is the
source. So is the table of the EPA's numbers in docs/evidence.md (word limits, weeks, the
assessment's length), which `make docs` writes between

    <!-- epa-numbers:begin --> ... <!-- epa-numbers:end -->

so that the README and the guidance need not repeat a number. Besides writing those two,
this module only reads: docs_check, ready and evidence decide what to make of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from epa_toolkit import prose
from project_facts import project_root
from project_facts.generated import between, sync

ROOT = project_root()  # the project this runs in (project_facts)
REFERENCE = Path("docs/reference/ksb-st0825.yaml")
EVIDENCE = Path("docs/evidence.md")
NUMBERS_BEGIN, NUMBERS_END = "<!-- epa-numbers:begin -->", "<!-- epa-numbers:end -->"
BEGIN = re.compile(r"<!--\s*write:begin\s+(?P<id>[^\s>]+)(?P<attrs>[^>]*?)\s*-->")
END = re.compile(r"<!--\s*write:end\s+(?P<id>[^\s>]+)\s*-->")


@dataclass(frozen=True)
class Limits:
    id: str
    min: int
    max: int | None

    def marker(self) -> str:
        limits = f" min={self.min}" + (f" max={self.max}" if self.max is not None else "")
        return f"<!-- write:begin {self.id}{limits} -->"


@dataclass(frozen=True)
class Section:
    path: Path  # relative to the project root
    id: str
    line: int  # of the begin marker, 1-based
    marker: str  # the begin marker as written
    body: str  # the text between the markers

    @property
    def location(self) -> str:
        return f"{self.path.as_posix()}:{self.line}"

    @property
    def words(self) -> int:
        return prose.count_words(self.body)

    @property
    def written(self) -> str:
        """The apprentice's text: the body without the guidance comments."""
        return prose.strip_comments(self.body).strip()


@dataclass(frozen=True)
class Document:
    pattern: str  # a path, or a pattern for a family of files (ADRs)
    min_files: int
    ksbs: tuple[str, ...]
    sections: tuple[Limits, ...]

    def files(self, root: Path) -> list[Path]:
        if any(ch in self.pattern for ch in "*?["):
            return sorted(p.relative_to(root) for p in root.glob(self.pattern) if p.is_file())
        return [Path(self.pattern)] if (root / self.pattern).is_file() else []


@cache
def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_reference(root: Path = ROOT) -> dict:
    return _load(root / REFERENCE)


def documents(reference: dict) -> list[Document]:
    return [
        Document(
            pattern=doc["path"],
            min_files=doc.get("min_files", 1),
            ksbs=tuple(doc.get("ksbs", ())),
            sections=tuple(Limits(s["id"], s["min"], s.get("max")) for s in doc["sections"]),
        )
        for doc in reference["documents"]
    ]


def document_files(root: Path = ROOT, reference: dict | None = None) -> list[Path]:
    """The apprentice's documents that exist: writing documents, then the KSB maps."""
    reference = reference or load_reference(root)
    paths = [p for doc in documents(reference) for p in doc.files(root)]
    paths += [Path(m["path"]) for m in reference["ksb_maps"] if (root / m["path"]).is_file()]
    return list(dict.fromkeys(paths))


def reference_files(root: Path = ROOT, reference: dict | None = None) -> list[Path]:
    """Pages generated from the code or describing it, which the pack includes too."""
    reference = reference or load_reference(root)
    return [Path(p) for p in reference["reference_documents"] if (root / p).is_file()]


class MarkerError(ValueError):
    """Markers that do not pair up: the file's sections cannot be read."""


def parse_sections(path: Path, text: str) -> list[Section]:
    sections: list[Section] = []
    open_: tuple[str, int, str, int] | None = None  # id, line, marker, offset after it
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))

    def line_of(offset: int) -> int:
        return next(i for i, start in enumerate(offsets) if start > offset)

    markers = sorted(
        [(m.start(), "begin", m) for m in BEGIN.finditer(text)]
        + [(m.start(), "end", m) for m in END.finditer(text)]
    )
    for offset, kind, match in markers:
        where = f"{path.as_posix()}:{line_of(offset)}"
        if kind == "begin":
            if open_:
                raise MarkerError(f"{where}: section {match['id']} starts inside {open_[0]}")
            open_ = (match["id"], line_of(offset), match.group(0), match.end())
        else:
            if not open_ or open_[0] != match["id"]:
                raise MarkerError(f"{where}: write:end {match['id']} has no matching write:begin")
            sections.append(Section(path, open_[0], open_[1], open_[2], text[open_[3] : offset]))
            open_ = None
    if open_:
        raise MarkerError(f"{path.as_posix()}:{open_[1]}: section {open_[0]} has no write:end")
    return sections


def sections(root: Path = ROOT, reference: dict | None = None) -> list[tuple[Section, Limits | None]]:
    """Every writing section of every document with its declared limits (None when the
    YAML does not declare it for that file). Raises MarkerError on unpaired markers."""
    reference = reference or load_reference(root)
    found = []
    for doc in documents(reference):
        declared = {limits.id: limits for limits in doc.sections}
        for path in doc.files(root):
            for section in parse_sections(path, (root / path).read_text(encoding="utf-8")):
                found.append((section, declared.get(section.id)))
    return found


def write_markers(root: Path = ROOT) -> list[Path]:
    """Copy the YAML's limits into the begin markers; return the files changed."""
    changed = []
    for doc in documents(load_reference(root)):
        declared = {limits.id: limits for limits in doc.sections}
        for path in doc.files(root):
            text = (root / path).read_text(encoding="utf-8")
            new = BEGIN.sub(lambda m, d=declared: d[m["id"]].marker() if m["id"] in d else m.group(0), text)
            if new != text:
                changed.append(path)
                (root / path).write_text(new, encoding="utf-8")
    return changed


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" + ("" if number == 1 else "s")


def epa_numbers(reference: dict) -> str:
    """The table of the EPA's numbers for docs/evidence.md, markers included."""
    t = reference["timeline"]
    rows = [
        (f"`{limits.id}` in {Path(doc.pattern).name}", f"at most {_count(limits.max, 'word')}")
        for doc in documents(reference)
        for limits in doc.sections
        if limits.max is not None
    ]
    rows += [
        (
            "Title and summary signed off",
            f"within {_count(t['sign_off_weeks_after_gateway'], 'week')} of gateway",
        ),
        (
            "The project",
            f"{_count(t['submit_weeks_after_sign_off'], 'week')} from sign-off to submission, "
            f"{_count(t['project_days_per_week'], 'project day')} a week",
        ),
        ("Practical assessment", f"at most {_count(t['practical_assessment_max_hours'], 'hour')}"),
        (
            "Professional discussion",
            f"{_count(t['professional_discussion_minutes'], 'minute')}, at least "
            f"{_count(t['professional_discussion_min_questions'], 'question')}",
        ),
    ]
    return "\n".join(
        [
            NUMBERS_BEGIN,
            f"<!-- Written by `make docs` from {REFERENCE.as_posix()}: change the numbers there. -->",
            "",
            "| | |",
            "|---|---|",
            *(f"| {what} | {value} |" for what, value in rows),
            NUMBERS_END,
        ]
    )


def updated_evidence(text: str, reference: dict) -> str:
    """docs/evidence.md's text with the table of the EPA's numbers current."""
    return between(text, NUMBERS_BEGIN, NUMBERS_END, epa_numbers(reference), EVIDENCE.as_posix())


def write_numbers(root: Path = ROOT, *, check: bool = False) -> int:
    """Write (or with `check`, only check) the EPA's numbers in docs/evidence.md: 0 when
    current or written, 1 when stale under `check`."""
    new = updated_evidence((root / EVIDENCE).read_text(encoding="utf-8"), load_reference(root))
    stale = f"{EVIDENCE.as_posix()}: the EPA's numbers are out of date: run `make docs`"
    return sync(root / EVIDENCE, new, check=check, stale=stale)


def main() -> int:
    """`make docs`: copy the YAML's limits into the section markers, and its numbers into
    docs/evidence.md."""
    for path in write_markers():
        print(f"{path}: section limits updated")
    return write_numbers()


if __name__ == "__main__":
    raise SystemExit(main())
