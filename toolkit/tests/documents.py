"""A copy of this project's README and documents to change on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

from project_facts import project_root

ROOT = project_root()  # the reference project (conftest.py)


def copy_project(target: Path) -> Path:
    shutil.copy(ROOT / "README.md", target / "README.md")
    shutil.copytree(ROOT / "docs", target / "docs")
    # Everything else the documents link to (code, pipelines), as it is.
    for entry in ROOT.iterdir():
        if entry.name not in ("README.md", "docs"):
            (target / entry.name).symlink_to(entry)
    return target


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
