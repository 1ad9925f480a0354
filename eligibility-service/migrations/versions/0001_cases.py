"""cases, outbox, inbox, audit

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from subsidy_shared.messaging import create_messaging_tables, drop_messaging_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "cases",
        sa.Column("application_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("accepting_region", sa.Text, nullable=False),
        sa.Column("hukou_region", sa.Text, nullable=False),
        sa.Column("locality_county", sa.Text, nullable=False),
        sa.Column("subsidies", ARRAY(sa.Text), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision_due", sa.Date, nullable=False),
        sa.Column("step", sa.Text, nullable=False),
        sa.Column("application", JSONB, nullable=False),
    )
    for column in ("person_key", "hukou_region", "locality_county"):
        op.create_index(f"ix_cases_{column}", "cases", [column])


def downgrade() -> None:
    op.drop_table("cases")
    drop_messaging_tables()
