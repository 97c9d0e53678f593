"""The data model. Alembic migrations (app/migrations) create and change the tables:
after editing this file, run `make migration MSG="..."` and review what it generated."""

from datetime import UTC, datetime
{%- if cookiecutter.starter == "reference" %}
from enum import StrEnum

from sqlalchemy import DateTime, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .limits import DESCRIPTION_MAX, TITLE_MAX
{%- else %}

from sqlalchemy import DateTime, TypeDecorator
from sqlalchemy.orm import DeclarativeBase
{%- endif %}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored and returned in UTC, on PostgreSQL and SQLite alike
    (SQLite forgets the time zone, so it is put back on the way out)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utc_now() -> datetime:
    return datetime.now(UTC)


# The id column is a 4-byte integer in PostgreSQL: larger ids are refused as input.
ID_MAX = 2**31 - 1


class Base(DeclarativeBase):
    pass
{%- if cookiecutter.starter == "reference" %}


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX), default="")
    priority: Mapped[str] = mapped_column(String(10), default=Priority.NORMAL)
    status: Mapped[str] = mapped_column(String(10), default=Status.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
{%- endif %}
