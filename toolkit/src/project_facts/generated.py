"""Generated parts of the documents, written by `make docs` and checked by `make check`.

Every generator (the diagram, the environment matrix, the inspection checks page, the dated
plan) renders its text and hands it here: `sync` writes it, or with `check` says the file
is out of date and how to fix it, so they all behave the same way. `between` puts a block
between its markers and leaves the rest of a document (the apprentice's own text) alone.
"""

from __future__ import annotations

import sys
from pathlib import Path


def between(text: str, begin: str, end: str, block: str, where: str = "the document") -> str:
    """`text` with everything from `begin` to `end` (both included) replaced by `block`."""
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"{where}: the markers {begin} ... {end} are missing")
    return text[:start] + block + text[stop + len(end) :]


def sync(path: Path, new: str, *, check: bool, stale: str) -> int:
    """Write `new` to `path`; with `check`, write nothing and return 1 if it would change
    (printing `stale`, which says what to run). 0 when the file is current or written."""
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    if current == new:
        return 0
    if check:
        print(stale, file=sys.stderr)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
    return 0
