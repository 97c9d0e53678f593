"""What the API accepts and returns. The HTML form is validated by the same schema.

Text is checked for what PostgreSQL and other people's screens cannot take, so bad input
gets a 422 naming the field instead of failing in the database:
- control characters (PostgreSQL refuses NUL in text; the others have no place in a title),
- lone surrogates (not Unicode text: they cannot be stored as UTF-8),
- bidirectional override characters, which can make a title read differently from what was
  typed (the "Trojan Source" trick),
- and, for a title, fewer than 3 visible characters (zero-width spaces alone are not a title).
"""

import unicodedata
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from .limits import DESCRIPTION_MAX, TITLE_MAX
from .models import Priority, Status

SEARCH_MAX = 100  # characters of search text
TITLE_MIN_VISIBLE = 3
LINE_BREAKS = frozenset("\n\r\t")  # allowed in a description, not in a title
# Embedding, override and isolate controls (Unicode bidirectional algorithm).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def plain_text(value: str, *, multiline: bool = False) -> str:
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            raise ValueError("must be valid Unicode text")
        if category == "Cc" and not (multiline and char in LINE_BREAKS):
            raise ValueError("must not contain control characters")
        if char in BIDI_CONTROLS:
            raise ValueError("must not contain bidirectional override characters")
    return value


def one_line(value: str) -> str:
    return plain_text(value, multiline=False)


def multi_line(value: str) -> str:
    return plain_text(value, multiline=True)


def visible(value: str) -> str:
    """At least TITLE_MIN_VISIBLE letters, digits, punctuation or symbols."""
    shown = sum(1 for char in value if unicodedata.category(char)[0] in "LNPS")
    if shown < TITLE_MIN_VISIBLE:
        raise ValueError(f"must have at least {TITLE_MIN_VISIBLE} visible characters")
    return value


Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=TITLE_MAX),
    AfterValidator(one_line),
    AfterValidator(visible),
]
Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=DESCRIPTION_MAX),
    AfterValidator(multi_line),
]
SearchText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=SEARCH_MAX), AfterValidator(one_line)
]


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description = ""
    priority: Priority = Priority.NORMAL


class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str
    priority: Priority
    status: Status
    created_at: datetime
    closed_at: datetime | None


class TicketPage(BaseModel):
    """One page of tickets, newest first. `next` is the address of the following page
    (older tickets), or null on the last page."""

    items: list[TicketOut]
    next: str | None
