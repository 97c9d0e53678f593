"""Reading Markdown as prose: words, paragraphs and their fingerprints.

Standard library only: the template's post-generation hook imports this file to fingerprint
the template's own paragraphs (docs/reference/template-paragraphs.txt) before any
dependency is installed.

Word counting rule: a word is a run of characters between spaces that contains a letter
or a digit. Headings, HTML comments, Markdown link targets and table pipes are not counted.
"""

from __future__ import annotations

import hashlib
import re

COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
# A unit of prose shorter than this is too common to call a copy ("See the runbook.").
MIN_FINGERPRINT_WORDS = 8


def strip_comments(markdown: str) -> str:
    return COMMENT.sub("", markdown)


def blank_comments(markdown: str) -> str:
    """Comments removed but their line breaks kept, so line numbers still point into the file."""
    return COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), markdown)


def _visible_lines(markdown: str) -> list[str]:
    """Lines as a reader sees them: comments, headings and table rules removed, links
    reduced to their text."""
    text = LINK.sub(lambda m: m.group(2), blank_comments(markdown))
    return [
        "" if HEADING.match(line) or TABLE_RULE.match(line) else line.replace("|", " ")
        for line in text.splitlines()
    ]


def is_word(token: str) -> bool:
    return bool(re.search(r"[^\W_]", token))


def count_words(markdown: str) -> int:
    return sum(1 for line in _visible_lines(markdown) for token in line.split() if is_word(token))


def blocks(markdown: str) -> list[list[tuple[int, str]]]:
    """Blank-line separated blocks of visible text: lists of (line index, line)."""
    found: list[list[tuple[int, str]]] = [[]]
    for index, line in enumerate(_visible_lines(markdown)):
        if line.strip():
            found[-1].append((index, line.strip()))
        elif found[-1]:
            found.append([])
    return [block for block in found if block]


def units(block: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """A block as a whole and, when it has several lines, each line on its own: a copied
    table row or bullet is a copy too."""
    whole = [(block[0][0], " ".join(text for _, text in block))]
    return whole + (block if len(block) > 1 else [])


def paragraphs(markdown: str) -> list[str]:
    return [text for block in blocks(markdown) for _, text in units(block)]


def comment_paragraphs(markdown: str) -> list[str]:
    """The paragraphs inside HTML comments: the template's guidance."""
    return [unit for comment in COMMENT.findall(markdown) for unit in paragraphs(comment[4:-3])]


def normalise(text: str) -> str:
    """Case, punctuation, Markdown emphasis and spacing do not make a paragraph new."""
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def fingerprint(text: str) -> str | None:
    """A stable hash of a paragraph, or None when it is too short to count as a copy."""
    words = normalise(text)
    if len(words.split()) < MIN_FINGERPRINT_WORDS:
        return None
    return hashlib.sha256(words.encode()).hexdigest()[:32]


def fingerprints(markdown: str, *, with_comments: bool = True) -> set[str]:
    units = paragraphs(markdown) + (comment_paragraphs(markdown) if with_comments else [])
    return {fp for fp in map(fingerprint, units) if fp}
