"""The contribution statement: what changed since the template was generated, and who did it.

The baseline is the project commit that first added `.cruft.json` (the template as generated,
recorded by cruft with the template's own commit). Everything after it, up to HEAD, is counted:
files added, changed, renamed and removed, lines added and removed, and commits per author per
ISO week. Later template updates (`cruft update`) are listed: their changes are included in the
figures, because they cannot be told apart without the template itself.

`python -m epa_toolkit.contribution` prints the statement as Markdown; `make evidence` puts it in the
pack for the apprentice and the employer to sign.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from project_facts import project_root

ROOT = project_root()  # the project this runs in (project_facts)
CRUFT = ".cruft.json"
MAX_LISTED = 200
STATUS_NAMES = {"A": "added", "M": "changed", "T": "changed", "R": "renamed", "D": "removed"}


def git(root: Path, *args: str) -> str:
    """Output of a git command run in root (raises CalledProcessError on failure)."""
    return subprocess.run(  # noqa: S603 - git with our own arguments
        ["git", "-c", "core.quotepath=off", *args],  # noqa: S607 - git from PATH
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
    ).stdout


@dataclass
class Baseline:
    commit: str
    how: str  # one sentence saying where the baseline comes from
    template_commit: str | None = None
    context: dict = field(default_factory=dict)  # the cookiecutter answers recorded by cruft


@dataclass
class Change:
    status: str  # added, changed, renamed, removed
    path: str
    old_path: str | None = None  # for a rename


@dataclass
class TemplateUpdate:
    commit: str
    day: str
    subject: str
    template_commit: str | None


def _cruft_at(root: Path, commit: str) -> dict | None:
    try:
        return json.loads(git(root, "show", f"{commit}:{CRUFT}"))
    except (subprocess.CalledProcessError, json.JSONDecodeError):
        return None


def root_commit(root: Path) -> str:
    return git(root, "rev-list", "--max-parents=0", "HEAD").split()[-1]


def baseline(root: Path = ROOT) -> Baseline:
    added = git(root, "log", "--diff-filter=A", "--format=%H", "HEAD", "--", CRUFT).split()
    if added:
        commit = added[-1]  # the oldest
        cruft = _cruft_at(root, "HEAD") or _cruft_at(root, commit) or {}
        return Baseline(
            commit=commit,
            how=f"the commit that first added `{CRUFT}` (the project as the template generated it)",
            template_commit=(_cruft_at(root, commit) or {}).get("commit"),
            context=cruft.get("context", {}).get("cookiecutter", {}),
        )
    reason = "is not in this folder" if not (root / CRUFT).exists() else "was never committed"
    return Baseline(
        commit=root_commit(root),
        how=f"`{CRUFT}` {reason}, so the baseline is the repository's first commit instead",
    )


def changes(root: Path, base: str) -> list[Change]:
    fields = git(root, "diff", "--name-status", "-z", "-M", base, "HEAD").split("\0")
    found, i = [], 0
    while i < len(fields) and fields[i]:
        status = fields[i][0]
        if status in "RC":
            old, new = fields[i + 1], fields[i + 2]
            found.append(Change("added" if status == "C" else "renamed", new, old))
            i += 3
        else:
            found.append(Change(STATUS_NAMES.get(status, "changed"), fields[i + 1]))
            i += 2
    return found


def line_counts(root: Path, base: str) -> tuple[int, int, int]:
    """Lines added, lines removed, binary files (counted as files only)."""
    fields = git(root, "diff", "--numstat", "-z", "-M", base, "HEAD").split("\0")
    added = removed = binary = 0
    i = 0
    while i < len(fields) and fields[i]:
        plus, minus, path = fields[i].split("\t", 2)
        i += 1 if path else 3  # a rename: the two paths follow as their own fields
        if plus == "-":
            binary += 1
        else:
            added, removed = added + int(plus), removed + int(minus)
    return added, removed, binary


def template_updates(root: Path, base: str) -> list[TemplateUpdate]:
    """Commits after the baseline that changed the template commit recorded in .cruft.json."""
    log = git(root, "log", "--reverse", "-z", "--format=%H%x1f%ad%x1f%s", "--date=short",
              f"{base}..HEAD", "--", CRUFT)  # fmt: skip
    updates = []
    for entry in filter(None, log.split("\0")):
        commit, day, subject = entry.strip("\n").split("\x1f", 2)
        before = (_cruft_at(root, f"{commit}^") or {}).get("commit")
        after = (_cruft_at(root, commit) or {}).get("commit")
        if after != before:
            updates.append(TemplateUpdate(commit, day, subject, after))
    return updates


def commits_per_week(root: Path, base: str) -> Counter[tuple[str, str]]:
    """(ISO week, author) -> number of commits after the baseline, by author date."""
    log = git(root, "log", "-z", "--format=%an%x1f%ad", "--date=short", f"{base}..HEAD")
    counts: Counter[tuple[str, str]] = Counter()
    for entry in filter(None, log.split("\0")):
        author, day = entry.strip("\n").rsplit("\x1f", 1)
        year, week, _ = date.fromisoformat(day).isocalendar()
        counts[(f"{year}-W{week:02d}", author)] += 1
    return counts


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(path: str) -> str:
    return f"`` {path} ``" if "`" in path else f"`{path}`"


def statement(root: Path = ROOT) -> str:
    base = baseline(root)
    head = git(root, "rev-parse", "HEAD").strip()
    found = changes(root, base.commit)
    added, removed, binary = line_counts(root, base.commit)
    counts = Counter(change.status for change in found)
    updates = template_updates(root, base.commit)
    weeks = commits_per_week(root, base.commit)
    apprentice = base.context.get("apprentice_name", "")
    employer = base.context.get("employer", "")

    out = ["# Contribution statement", ""]
    if base.context.get("project_name"):
        out += [f"Project: {base.context['project_name']}", ""]
    out += [
        f"Baseline: `{base.commit[:12]}`, {base.how}.",
    ]
    if base.template_commit:
        out += [f"The template was at commit `{base.template_commit[:12]}`."]
    out += [
        f"Compared with: HEAD, `{head[:12]}`.",
        "",
        "## Changes since the baseline",
        "",
        "| | files |",
        "|---|---:|",
        *(f"| {name} | {counts.get(name, 0)} |" for name in ("added", "changed", "renamed", "removed")),
        "",
        f"Lines added: {added}; lines removed: {removed}"
        + (f"; {binary} binary files (counted as files only)." if binary else "."),
        "",
    ]
    if found:
        out += ["| change | file |", "|---|---|"]
        for change in found[:MAX_LISTED]:
            path = _code(change.path)
            if change.old_path:
                path = f"{_code(change.old_path)} → {path}"
            out.append(f"| {change.status} | {_cell(path)} |")
        if len(found) > MAX_LISTED:
            out += ["", f"... and {len(found) - MAX_LISTED} more files."]
        out.append("")
    else:
        out += ["No file has changed since the baseline.", ""]

    out += ["## Template updates", ""]
    if updates:
        out += [
            "These commits updated the project from a newer template (`cruft update`). Their "
            "changes are included in the figures above: they cannot be separated without the "
            "template itself.",
            "",
        ]
        out += [
            f"- `{u.commit[:12]}` {u.day}: {u.subject} (template at `{(u.template_commit or '?')[:12]}`)"
            for u in updates
        ]
    else:
        out += ["None: every change above was made in this repository."]
    out += ["", "## Commits per author per week", ""]
    if weeks:
        out += ["| ISO week | author | commits |", "|---|---|---:|"]
        out += [f"| {week} | {_cell(author)} | {n} |" for (week, author), n in sorted(weeks.items())]
    else:
        out += ["No commits since the baseline."]
    out += [
        "",
        "## Declaration",
        "",
        "I confirm the documents and the changes above are my own work except where stated "
        "(the template the project started from, its updates listed above, and any source named "
        "in the documents).",
        "",
        f"| | Apprentice | Employer{': ' + _cell(employer) if employer else ''} |",
        "|---|---|---|",
        f"| Name | {_cell(apprentice)} | |",
        "| Signature | | |",
        "| Date | | |",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    try:
        print(statement(), end="")
    except subprocess.CalledProcessError as error:
        print(f"git failed: {error.stderr.strip() or error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
