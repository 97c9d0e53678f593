"""The first migration: no tables yet.

Alembic numbers every change to the database from here. Add your model to models.py,
then `make migration MSG="..."` writes the next migration for you to review.

Revision ID: 0001
Revises:
Create Date: 2027-01-01
"""

from collections.abc import Sequence

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
