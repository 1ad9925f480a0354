"""beneficiaries: the month a concluded finding ended (or suspended) the subsidy

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("beneficiaries", sa.Column("status", sa.Text, nullable=False, server_default="active"))
    op.add_column("beneficiaries", sa.Column("status_month", sa.Text))


def downgrade() -> None:
    op.drop_column("beneficiaries", "status_month")
    op.drop_column("beneficiaries", "status")
