"""payments.overpayment_id: a month paid and owed back is owed back once (two findings of one death)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("payments", sa.Column("overpayment_id", UUID(as_uuid=True)))


def downgrade() -> None:
    op.drop_column("payments", "overpayment_id")
