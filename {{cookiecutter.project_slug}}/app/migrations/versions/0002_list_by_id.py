"""List tickets by id: drop the index on created_at.

The page and the API now list newest first by id (keyset pagination), which the primary
key's index serves; an index nothing reads only slows every insert. A new migration rather
than an edit of 0001: databases that already ran 0001 must be changed too.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_tickets_created_at", table_name="tickets")


def downgrade() -> None:
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
