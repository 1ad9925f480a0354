"""applications, open claims, outbox, inbox, audit

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
        "applications",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("id_number", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("phone", sa.Text),
        sa.Column("hukou_region", sa.Text, nullable=False),
        sa.Column("accepting_region", sa.Text, nullable=False),
        sa.Column("certificate_number", sa.Text, nullable=False),
        sa.Column("subsidies", ARRAY(sa.Text), nullable=False),
        sa.Column("bank_account", JSONB, nullable=False),
        sa.Column("agent", JSONB),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("accepted_by", sa.Text, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_applications_person_key", "applications", ["person_key"])
    op.create_index("ix_applications_accepting_region", "applications", ["accepting_region"])
    op.create_table(
        "open_claims",
        sa.Column("person_key", sa.Text, primary_key=True),
        sa.Column("subsidy", sa.Text, primary_key=True),
        sa.Column("application_id", UUID(as_uuid=True), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("accepting_region", sa.Text, nullable=False),
        sa.Column("hukou_region", sa.Text, nullable=False),
    )
    op.create_index("ix_open_claims_application_id", "open_claims", ["application_id"])


def downgrade() -> None:
    op.drop_table("open_claims")
    op.drop_table("applications")
    drop_messaging_tables()
