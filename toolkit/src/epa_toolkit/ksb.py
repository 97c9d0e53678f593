"""The KSB maps: the project KSBs in docs/ksb-analysis.md and the discussion KSBs in
docs/portfolio.md. They are the apprentice's tables, written once at generation and never
regenerated; this module reads and checks them against docs/reference/ksb-st0825.yaml.

standard() is the toolkit's own copy of the standard's KSBs and project themes, for what
must work outside any project (the inspection reports an assessor runs).

A map row is a table row whose first cell is a KSB code; its second cell is the KSB's
short title (as in the YAML) and its last cell the evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from epa_toolkit import prose, writing

# The toolkit's copy of the standard's sections of docs/reference/ksb-st0825.yaml (a test
# keeps their data equal).
STANDARD = Path(__file__).with_name("ksb-st0825.yaml")
ROW = re.compile(r"^\|\s*(?P<code>[KSB]\d{1,2})\s*\|(?P<cells>.*)\|\s*$")


@dataclass(frozen=True)
class Row:
    path: Path
    line: int
    code: str
    title: str
    evidence: str
    text: str  # the whole row, as written

    @property
    def location(self) -> str:
        return f"{self.path.as_posix()}:{self.line}"


@cache
def standard() -> dict:
    """The KSBs (knowledge, skills, behaviours) and the project method's themes, as shipped
    with the toolkit."""
    return yaml.safe_load(STANDARD.read_text(encoding="utf-8"))


def all_ksbs(reference: dict) -> dict[str, dict]:
    return {k["code"]: k for group in ("knowledge", "skills", "behaviours") for k in reference[group]}


def codes(reference: dict, method: str) -> list[str]:
    return [code for code, k in all_ksbs(reference).items() if k["method"] == method]


def read_map(root: Path, path: Path) -> list[Row]:
    rows = []
    text = prose.blank_comments((root / path).read_text(encoding="utf-8"))
    for number, line in enumerate(text.splitlines(), start=1):
        if match := ROW.match(line.strip()):
            cells = [cell.strip() for cell in match["cells"].split("|")]
            evidence = cells[-1] if len(cells) > 1 else ""
            rows.append(Row(path, number, match["code"], cells[0], evidence, line.strip()))
    return rows


def map_problems(root: Path = writing.ROOT, reference: dict | None = None) -> list[str]:
    """Each map lists every KSB of its method exactly once, with the reference title."""
    reference = reference or writing.load_reference(root)
    known = all_ksbs(reference)
    problems = []
    for ksb_map in reference["ksb_maps"]:
        path, method = Path(ksb_map["path"]), ksb_map["method"]
        if not (root / path).is_file():
            problems.append(f"{path}: the {method} KSB map is missing")
            continue
        rows = read_map(root, path)
        seen: dict[str, Row] = {}
        for row in rows:
            if row.code not in known or known[row.code]["method"] != method:
                problems.append(f"{row.location}: {row.code} is not a {method} KSB of ST0825")
            elif row.code in seen:
                problems.append(
                    f"{row.location}: {row.code} is listed twice (also line {seen[row.code].line})"
                )
            elif row.title != known[row.code]["title"]:
                problems.append(
                    f"{row.location}: {row.code}'s title should be {known[row.code]['title']!r}"
                    " (from docs/reference/ksb-st0825.yaml)"
                )
            seen.setdefault(row.code, row)
        problems += [
            f"{path}: {code} is missing from the KSB map"
            for code in codes(reference, method)
            if code not in seen
        ]
    return problems


def evidenced(root: Path = writing.ROOT, reference: dict | None = None) -> dict[str, tuple[list[Row], int]]:
    """Per method: the rows with evidence written, and how many KSBs the method has."""
    reference = reference or writing.load_reference(root)
    result = {}
    for ksb_map in reference["ksb_maps"]:
        path, method = Path(ksb_map["path"]), ksb_map["method"]
        rows = read_map(root, path) if (root / path).is_file() else []
        result[method] = (
            [row for row in rows if prose.is_word(row.evidence)],
            len(codes(reference, method)),
        )
    return result


def empty_evidence(root: Path = writing.ROOT, reference: dict | None = None) -> list[Row]:
    reference = reference or writing.load_reference(root)
    return [
        row
        for ksb_map in reference["ksb_maps"]
        if (root / ksb_map["path"]).is_file()
        for row in read_map(root, Path(ksb_map["path"]))
        if not prose.is_word(row.evidence)
    ]
