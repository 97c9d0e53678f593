"""The contribution statement, on small real git histories."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from epa_toolkit import contribution

WEEK_2 = "2026-01-05T10:00:00+00:00"  # a Monday: ISO week 2026-W02
WEEK_2_LATER = "2026-01-07T10:00:00+00:00"
WEEK_3 = "2026-01-13T10:00:00+00:00"  # 2026-W03


def git(repo: Path, *args: str, author: str = "Alice Able", when: str = WEEK_2) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": "someone@example.com",
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": "someone@example.com",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit(repo: Path, message: str, **who: str) -> str:
    git(repo, "add", "-A", **who)
    git(repo, "commit", "-q", "-m", message, **who)
    return git(repo, "rev-parse", "HEAD").strip()


def cruft(template_commit: str) -> str:
    context = {
        "cookiecutter": {
            "project_name": "Tiny",
            "apprentice_name": "Alice Able",
            "employer": "Acme",
        }
    }
    return json.dumps({"template": "gh:x/y", "commit": template_commit, "context": context}, indent=2) + "\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    return tmp_path


def test_a_single_commit_has_changed_nothing(repo):
    (repo / ".cruft.json").write_text(cruft("a" * 40))
    (repo / "README.md").write_text("hello\n")
    first = commit(repo, "generated")

    base = contribution.baseline(repo)
    assert base.commit == first
    assert base.template_commit == "a" * 40
    assert contribution.changes(repo, first) == []
    assert contribution.line_counts(repo, first) == (0, 0, 0)
    text = contribution.statement(repo)
    assert "| added | 0 |" in text
    assert "No file has changed since the baseline." in text
    assert "No commits since the baseline." in text
    assert "| Name | Alice Able | |" in text
    assert "Employer: Acme" in text


def test_figures_for_a_known_history(repo):
    (repo / ".cruft.json").write_text(cruft("a" * 40))
    (repo / "keep.txt").write_text("one\ntwo\nthree\n")
    (repo / "gone.txt").write_text("x\ny\n")
    first = commit(repo, "generated", author="Alice Able", when=WEEK_2)

    (repo / "new file é.txt").write_text("1\n2\n3\n")  # a space and unicode in the name
    (repo / "picture.bin").write_bytes(b"\x00\x01\x02binary")
    commit(repo, "add", author="Bob Bee", when=WEEK_2_LATER)

    (repo / "keep.txt").write_text("one\nTWO\nthree\nfour\n")  # +2 -1
    (repo / "gone.txt").unlink()  # -2
    commit(repo, "change and remove", author="Alice Able", when=WEEK_3)

    (repo / ".cruft.json").write_text(cruft("b" * 40))  # cruft update: +1 -1
    update = commit(repo, "Update from the template", author="Bob Bee", when=WEEK_3)

    base = contribution.baseline(repo)
    assert base.commit == first
    found = {(c.status, c.path) for c in contribution.changes(repo, first)}
    assert found == {
        ("added", "new file é.txt"),
        ("added", "picture.bin"),
        ("changed", "keep.txt"),
        ("changed", ".cruft.json"),
        ("removed", "gone.txt"),
    }
    assert contribution.line_counts(repo, first) == (3 + 2 + 1, 1 + 2 + 1, 1)
    updates = contribution.template_updates(repo, first)
    assert [(u.commit, u.template_commit) for u in updates] == [(update, "b" * 40)]
    assert dict(contribution.commits_per_week(repo, first)) == {
        ("2026-W02", "Bob Bee"): 1,
        ("2026-W03", "Alice Able"): 1,
        ("2026-W03", "Bob Bee"): 1,
    }

    text = contribution.statement(repo)
    assert "| added | 2 |" in text
    assert "| changed | 2 |" in text
    assert "| removed | 1 |" in text
    assert "Lines added: 6; lines removed: 4; 1 binary files" in text
    assert "| added | `new file é.txt` |" in text
    assert "| 2026-W03 | Bob Bee | 1 |" in text
    assert update[:12] in text
    assert "cannot be separated" in text


def test_a_rename_is_one_file(repo):
    (repo / ".cruft.json").write_text(cruft("a" * 40))
    (repo / "old name.txt").write_text("same content here\n" * 5)
    first = commit(repo, "generated")
    (repo / "old name.txt").rename(repo / "new name.txt")
    commit(repo, "rename", when=WEEK_3)
    changes = contribution.changes(repo, first)
    assert [(c.status, c.old_path, c.path) for c in changes] == [("renamed", "old name.txt", "new name.txt")]
    assert contribution.line_counts(repo, first) == (0, 0, 0)


def test_without_cruft_the_first_commit_is_the_baseline(repo):
    (repo / "a.txt").write_text("a\n")
    first = commit(repo, "start")
    (repo / "b.txt").write_text("b\n")
    commit(repo, "more", when=WEEK_3)
    base = contribution.baseline(repo)
    assert base.commit == first
    assert "is not in this folder" in base.how
    (repo / ".cruft.json").write_text(cruft("a" * 40))  # present, never committed
    assert "was never committed" in contribution.baseline(repo).how
    assert "| added | 1 |" in contribution.statement(repo)


def test_cruft_added_after_the_first_commit(repo):
    (repo / "a.txt").write_text("a\n")
    commit(repo, "start")
    (repo / ".cruft.json").write_text(cruft("a" * 40))
    second = commit(repo, "link to the template", when=WEEK_3)
    assert contribution.baseline(repo).commit == second
