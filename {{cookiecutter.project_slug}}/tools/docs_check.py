"""Checks on the EPA documents: word limits, KSB coverage, links, generated tables.

    python -m tools.docs_check

Word counting rule (stated in each limited document too): a word is a run of characters
between spaces that contains a letter or a digit. Headings, HTML comments, Markdown link
targets and table pipes are not counted.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tools import ksb
from tools.inspection import catalogue

ROOT = Path(__file__).resolve().parents[1]
# (file, section markers, maximum words)
WORD_LIMITS = [
    ("docs/ksb-analysis.md", ("<!-- analysis:begin -->", "<!-- analysis:end -->"), 300),
    ("docs/project-brief.md", ("<!-- summary:begin -->", "<!-- summary:end -->"), 500),
]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def count_words(markdown: str) -> int:
    text = COMMENT.sub(" ", markdown)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    text = LINK.sub(lambda m: m.group(0).split("](")[0].lstrip("["), text)
    return sum(1 for token in text.split() if re.search(r"[^\W_]", token))


def section(text: str, markers: tuple[str, str]) -> str:
    start, end = text.index(markers[0]) + len(markers[0]), text.index(markers[1])
    return text[start:end]


def word_limit_problems(root: Path = ROOT) -> list[str]:
    problems = []
    for relative, markers, limit in WORD_LIMITS:
        words = count_words(section((root / relative).read_text(), markers))
        if words > limit:
            problems.append(f"{relative}: {words} words, the limit is {limit}")
    return problems


def broken_links(root: Path = ROOT) -> list[str]:
    problems = []
    for path in sorted([root / "README.md", *(root / "docs").rglob("*.md")]):
        for target in LINK.findall(COMMENT.sub("", path.read_text())):
            if re.match(r"^(https?:|mailto:|#)", target):
                continue
            resolved = (path.parent / target.split("#")[0]).resolve()
            if not resolved.exists():
                problems.append(f"{path.relative_to(root)}: link to {target} does not resolve")
    return problems


def missing_ksbs(root: Path = ROOT) -> list[str]:
    text = (root / "docs" / "ksb-analysis.md").read_text()
    table = section(text, ksb.TABLE)
    return [
        f"docs/ksb-analysis.md: {code} is missing from the KSB table"
        for code in ksb.project_ksbs(ksb.load())
        if f"| {code} |" not in table
    ]


def main() -> int:
    problems = word_limit_problems() + missing_ksbs() + broken_links()
    if ksb.main(["--check"]) != 0:
        problems.append("generated KSB tables are out of date: run `make docs`")
    if catalogue.main(["--check"]) != 0:
        problems.append("docs/inspection-checks.md is out of date: run `make docs`")
    for problem in problems:
        print(f"- {problem}", file=sys.stderr)
    if problems:
        return 1
    print("Documents OK: word limits, KSB coverage, links.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
