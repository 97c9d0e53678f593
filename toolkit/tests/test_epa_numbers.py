"""The EPA's numbers (word limits, the timeline) live in docs/reference/ksb-st0825.yaml only.

Everything else shows them as generated output: the section markers (`max=`) and the table
"The EPA in numbers" in docs/evidence.md, both written by `make docs` and checked by
`make docs-check`; the dated plan in the brief. These tests fail when prose or code types
a copy of a number ("at most 500 words", "13 weeks", "two project days") anywhere else.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from epa_toolkit import docs_check, writing
from tests.documents import copy_project, edit

ROOT = writing.ROOT
UNITS = ("word", "week", "day", "hour", "minute", "question")
NUMBER_WORDS = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen", "twenty"),
)

# What is scanned: the project's own text, minus the source of the numbers, tests (which
# state numbers on purpose), the worked examples (a finished plan, written as an apprentice
# would) and what is never ours (dependencies, build output).
SUFFIXES = {".md", ".py", ".yaml", ".yml", ".toml", ".sh", ".txt", ".html", ".json", ".cfg"}
SKIPPED_DIRS = {".git", ".venv", "node_modules", "build", "reports", "__pycache__", "tests"}
SKIPPED = (writing.REFERENCE.as_posix(), "docs/examples/")
# Generated output, written from the YAML by `make docs` (markers included).
GENERATED = (
    (writing.NUMBERS_BEGIN, writing.NUMBERS_END),
    ("<!-- plan:begin -->", "<!-- plan:end -->"),
)
# The same number and unit meaning something else, wherever it is: pattern -> what it is.
NOT_THE_EPA = {
    re.compile(r"\btoken (?:lasts|\(valid) 60 minutes"): "an access token's lifetime",
    re.compile(r"\btwo weeks of (?:backups|point-in-time)"): "the database's backup retention",
}


def unit_of(key: str) -> str | None:
    """The unit a timeline key counts: the first named ("project_days_per_week": day)."""
    named = [(key.find(unit), unit) for unit in UNITS if unit in key]
    return min(named)[1] if named else None


def epa_numbers(reference: dict) -> list[tuple[str, int, str]]:
    """(where in the YAML, number, unit) for every number the EPA's timeline and the
    writing sections' limits hold."""
    found = []
    for key, value in reference["timeline"].items():
        if isinstance(value, int):
            assert unit_of(key), f"timeline.{key}: name its unit ({', '.join(UNITS)})"
            found.append((f"timeline.{key}", value, unit_of(key)))
    for doc in writing.documents(reference):
        found += [(f"{s.id} max", s.max, "word") for s in doc.sections if s.max is not None]
    return found


def pattern(number: int, unit: str) -> re.Pattern[str]:
    spelt = f"{number}|{NUMBER_WORDS[number]}" if number < len(NUMBER_WORDS) else str(number)
    phrases = [rf"\b(?:{spelt})[\s-]+(?:project[\s-]+)?{unit}s?\b"]
    if unit == "word":  # "at most 500", "(max 300)"
        phrases.append(rf"\b(?:at most|max(?:imum)?(?: of)?|no more than)\s+(?:{spelt})\b(?!\s+[a-z])")
    return re.compile("|".join(phrases), re.IGNORECASE)


def source_files(root: Path) -> list[Path]:
    files = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if SKIPPED_DIRS & set(relative.parts[:-1]) or not path.is_file():
            continue
        if relative.as_posix().startswith(SKIPPED):
            continue
        if path.suffix in SUFFIXES or path.name == "Makefile":
            files.append(relative)
    return files


def without_generated(text: str) -> str:
    """`text` with each generated block blanked, line breaks kept (for line numbers)."""
    for begin, end in GENERATED:
        start = text.find(begin)
        stop = text.find(end, start)
        if start >= 0 and stop >= 0:
            block = text[start : stop + len(end)]
            text = text[:start] + re.sub(r"[^\n]", " ", block) + text[stop + len(end) :]
    return text


def copies(root: Path, reference: dict) -> list[str]:
    """`file:line: text (where in the YAML)` for every typed copy of an EPA number."""
    numbers = [(where, pattern(number, unit)) for where, number, unit in epa_numbers(reference)]
    found = []
    for relative in source_files(root):
        try:
            text = (root / relative).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for line_number, line in enumerate(without_generated(text).splitlines(), 1):
            if any(other.search(line) for other in NOT_THE_EPA):
                continue
            matches = [(match[0], where) for where, regex in numbers if (match := regex.search(line))]
            if matches:
                wheres = ", ".join(where for _, where in matches)
                found.append(f"{relative.as_posix()}:{line_number}: {matches[0][0]!r} ({wheres})")
    return found


def test_no_source_file_types_an_epa_number():
    assert copies(ROOT, writing.load_reference()) == [], (
        "Use the YAML (docs/reference/ksb-st0825.yaml) through generated output, or word "
        "the prose without the number (point at docs/evidence.md, 'The EPA in numbers')."
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Write at most 500 words.", True),
        ("The summary (max 500) is due at gateway.", True),
        ("Sign-off comes within two weeks.", True),
        ("The 13-week plan.", True),
        ("Two project days a week.", True),
        ("The practical assessment (3 hours).", True),
        ("Prints at most 500 characters.", False),
        ("Never a 500 error, in 13 steps.", False),
        ("The access token lasts 60 minutes.", False),
        ("The discussion lasts 60 minutes.", True),
    ],
)
def test_the_copies_found(tmp_path, text, found):
    (tmp_path / "docs" / "examples").mkdir(parents=True)
    (tmp_path / "docs" / "guide.md").write_text(f"# Guide\n\n{text}\n")
    (tmp_path / "docs" / "examples" / "plan.md").write_text(f"{text}\n")  # never scanned
    (tmp_path / "docs" / "evidence.md").write_text(
        f"{writing.NUMBERS_BEGIN}\n{text}\n{writing.NUMBERS_END}\n"  # generated: allowed
    )
    expected = ["docs/guide.md:3"] if found else []
    assert [c.split(": ")[0] for c in copies(tmp_path, writing.load_reference())] == expected


def test_the_numbers_table_is_written_from_the_yaml(tmp_path):
    project = copy_project(tmp_path)
    edit(
        project,
        "docs/reference/ksb-st0825.yaml",
        "submit_weeks_after_sign_off: 13",
        "submit_weeks_after_sign_off: 14",
    )
    edit(project, "docs/reference/ksb-st0825.yaml", "&summary_max 500", "&summary_max 450")
    assert "docs/evidence.md: the EPA's numbers are out of date: run `make docs`" in (
        docs_check.generated_problems(project)
    )
    assert writing.write_numbers(project) == 0
    table = (project / "docs" / "evidence.md").read_text(encoding="utf-8")
    assert "| The project | 14 weeks from sign-off to submission, 2 project days a week |" in table
    assert "| `brief.summary` in project-brief.md | at most 450 words |" in table
    assert writing.write_numbers(project, check=True) == 0
    # The brief's marker follows the same YAML.
    assert [p.as_posix() for p in writing.write_markers(project)] == ["docs/project-brief.md"]
    assert "<!-- write:begin brief.summary min=300 max=450 -->" in (
        project / "docs" / "project-brief.md"
    ).read_text(encoding="utf-8")


def test_a_stale_table_fails_the_check_and_names_the_fix(tmp_path, capsys):
    project = copy_project(tmp_path)
    edit(project, "docs/evidence.md", "at most 3 hours", "at most 4 hours")
    assert writing.write_numbers(project, check=True) == 1
    assert "run `make docs`" in capsys.readouterr().err
    assert writing.write_numbers(project) == 0
    assert writing.write_numbers(project, check=True) == 0
