"""`make docs-check`, on every commit: the documents are well formed. It passes on a fresh
project; `make ready` is the stricter check before submission (tools/ready.py).

    python -m epa_toolkit.docs_check

Checks: writing sections pair up, are declared in docs/reference/ksb-st0825.yaml, appear
once and carry the YAML's limits; no section is over its maximum; the KSB maps list every
KSB once with its title; every relative link resolves; generated blocks are current (plan,
the EPA's numbers in docs/evidence.md, inspection checks page; the diagram is checked by
`python -m diagram --check`).
Exit 0 when all is well, 1 with one line per problem.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from epa_toolkit import ksb, plan, prose, writing
from epa_toolkit.inspection import catalogue

EXTERNAL = re.compile(r"^([a-z][a-z0-9+.-]*:|#)", re.IGNORECASE)


def section_problems(root: Path = writing.ROOT, reference: dict | None = None) -> list[str]:
    reference = reference or writing.load_reference(root)
    problems = []
    for doc in writing.documents(reference):
        declared = {limits.id: limits for limits in doc.sections}
        for path in doc.files(root):
            try:
                found = writing.parse_sections(path, (root / path).read_text(encoding="utf-8"))
            except writing.MarkerError as error:
                problems.append(str(error))
                continue
            counts = Counter(section.id for section in found)
            for section in found:
                limits = declared.get(section.id)
                if limits is None:
                    problems.append(f"{section.location}: section {section.id} is not declared for this file")
                elif section.marker != limits.marker():
                    problems.append(
                        f"{section.location}: marker should read {limits.marker()}: run `make docs`"
                    )
                elif limits.max is not None and section.words > limits.max:
                    problems.append(
                        f"{section.location}: {section.id} has {section.words} words, the limit is {limits.max}"
                    )
            problems += [f"{path}: section {id_} appears {n} times" for id_, n in counts.items() if n > 1]
            problems += [f"{path}: section {id_} is missing" for id_ in declared if id_ not in counts]
    return problems


def link_targets(markdown: str) -> list[str]:
    """Relative link targets outside comments and code."""
    text = re.sub(r"```.*?```|`[^`\n]*`", "", prose.strip_comments(markdown), flags=re.DOTALL)
    targets = (match[3] for match in prose.LINK.finditer(text))
    return [target for target in targets if not EXTERNAL.match(target)]


def broken_links(root: Path = writing.ROOT) -> list[str]:
    problems = []
    for path in sorted([root / "README.md", *(root / "docs").rglob("*.md")]):
        for target in link_targets(path.read_text(encoding="utf-8")):
            resolved = (path.parent / target.split("#")[0]).resolve()
            if not resolved.exists():
                problems.append(f"{path.relative_to(root)}: link to {target} does not resolve")
    return problems


def generated_problems(root: Path = writing.ROOT) -> list[str]:
    problems = []
    try:
        text = (root / plan.BRIEF).read_text(encoding="utf-8")
        if plan.updated(text, root) != text:
            problems.append(f"{plan.BRIEF}: the dated plan is out of date: run `make docs`")
    except (OSError, ValueError) as error:
        problems.append(str(error))
    try:
        text = (root / writing.EVIDENCE).read_text(encoding="utf-8")
        if writing.updated_evidence(text, writing.load_reference(root)) != text:
            problems.append(f"{writing.EVIDENCE}: the EPA's numbers are out of date: run `make docs`")
    except (OSError, ValueError) as error:
        problems.append(str(error))
    if root == writing.ROOT and catalogue.main(["--check"]) != 0:
        problems.append("docs/inspection-checks.md is out of date: run `make docs`")
    return problems


def problems(root: Path = writing.ROOT) -> list[str]:
    reference = writing.load_reference(root)
    return (
        section_problems(root, reference)
        + ksb.map_problems(root, reference)
        + broken_links(root)
        + generated_problems(root)
    )


def main() -> int:
    found = problems()
    for problem in found:
        print(f"- {problem}", file=sys.stderr)
    if found:
        print(f"{len(found)} problem(s) in the documents.", file=sys.stderr)
        return 1
    print("Documents OK: writing sections, limits, KSB maps, links, generated blocks.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
