"""Finish the documents as an apprentice would, for the tests: distinct words in every
writing section, evidence in every map row, a step for every week, decided and dated ADRs.

Also used by the template's own tests on a baked project.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from epa_toolkit import ksb, plan, writing

WORDS = (
    "booking rooms colleagues reception desk visitors badge calendar outage latency alarm queue "
    "pipeline deploy rollback digest staging review branch merge tests coverage fixture mock "
    "database replica failover backup restore snapshot encryption certificate token role policy "
    "subnet zone gateway balancer container image patch refresh schedule metric dashboard log "
    "threshold incident timeline cause action owner stakeholder story acceptance priority risk "
    "likelihood impact mitigation budget cost saving week retro learning mentor pairing demo"
)
VOCABULARY = WORDS.split()


def words(seed: str, count: int) -> str:
    """`count` words of distinct text: sentences of 12 words drawn from the vocabulary."""
    rng = random.Random(seed)  # noqa: S311 - test text, not security
    chosen = [rng.choice(VOCABULARY) for _ in range(count)]
    sentences = [" ".join(chosen[i : i + 12]).capitalize() + "." for i in range(0, count, 12)]
    return " ".join(sentences)


def write_sections(root: Path, author: str = "apprentice") -> None:
    reference = writing.load_reference(root)
    for doc in writing.documents(reference):
        for path in doc.files(root):
            text = (root / path).read_text(encoding="utf-8")
            for limits in doc.sections:
                count = limits.min + 5 if limits.max is None else min(limits.min + 5, limits.max)
                prose = words(f"{author}:{path}:{limits.id}", count)
                text = re.sub(
                    rf"(<!-- write:begin {re.escape(limits.id)}\b[^>]*-->)",
                    lambda m, prose=prose: f"{m.group(1)}\n{prose}\n",
                    text,
                    count=1,
                )
            text = re.sub(r"^\*\*Status:\*\* proposed", "**Status:** accepted", text, flags=re.MULTILINE)
            text = re.sub(r"^(\*\*Date:\*\*)", r"\1 2027-04-01", text, flags=re.MULTILINE)
            (root / path).write_text(text, encoding="utf-8")


def write_evidence(root: Path) -> None:
    """Evidence of one's own in every row: appended to the template's suggestion, or into
    an empty cell."""
    reference = writing.load_reference(root)
    for ksb_map in reference["ksb_maps"]:
        path = root / ksb_map["path"]
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for row in ksb.read_map(root, Path(ksb_map["path"])):
            line = lines[row.line - 1].rstrip().rstrip("|").rstrip()
            lines[row.line - 1] = f"{line}{',' if row.evidence else ''} {words(row.code, 6)} |\n"
        path.write_text("".join(lines), encoding="utf-8")


def write_plan_steps(root: Path) -> None:
    path = root / plan.BRIEF
    text = path.read_text(encoding="utf-8")

    def step(match: re.Match) -> str:
        row = match.group(0)
        return row.rstrip().rstrip("|").rstrip() + f" {words('week' + row.split('|')[1], 7)} |"

    text = re.sub(r"^\|\s*\d+\s*\|.*\|\s*\|\s*$", step, text, flags=re.MULTILINE)
    path.write_text(text, encoding="utf-8")


def finish(root: Path, author: str = "apprentice") -> None:
    write_sections(root, author)
    write_evidence(root)
    write_plan_steps(root)
