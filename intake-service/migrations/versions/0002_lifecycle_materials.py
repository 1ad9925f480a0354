"""lifecycle columns, timeline, electronic materials, checklist rules, notifications

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_APPLICATION_COLUMNS = [
    sa.Column("required_materials", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("materials_complete_at", sa.DateTime(timezone=True)),
    sa.Column("pushed_at", sa.DateTime(timezone=True)),
    sa.Column("locality_county", sa.Text),
    sa.Column("external_system", sa.Text),
    sa.Column("decision_due", sa.Date),
    sa.Column("result_returned_at", sa.DateTime(timezone=True)),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("outcomes", JSONB),
    sa.Column("notify_due", sa.Date),
    sa.Column("notified_at", sa.DateTime(timezone=True)),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
]


def upgrade() -> None:
    for column in _APPLICATION_COLUMNS:
        op.add_column("applications", column)
    op.add_column("open_claims", sa.Column("state", sa.Text, nullable=False, server_default="open"))
    op.create_check_constraint("ck_open_claims_state", "open_claims", "state IN ('open', 'receiving')")
    op.create_table(
        "application_steps",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("application_id", UUID(as_uuid=True), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("step", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("actor_role", sa.Text),
        sa.Column("detail", JSONB, nullable=False, server_default="{}"),
    )
    op.create_index("ix_application_steps_application_id", "application_steps", ["application_id"])
    op.create_table(
        "materials",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("application_id", UUID(as_uuid=True), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.Text, nullable=False),
        sa.CheckConstraint("size_bytes > 0", name="ck_materials_size"),
    )
    op.create_index("ix_materials_application_id", "materials", ["application_id"])
    op.create_table(
        "material_rules",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("subsidy", sa.Text),
        sa.Column("proxy_only", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("effective_to", sa.Date),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("effective_to IS NULL OR effective_to > effective_from", name="ck_material_rules_dates"),
    )
    op.create_index("ix_material_rules_region", "material_rules", ["region"])
    op.create_table(
        "notifications",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("application_id", UUID(as_uuid=True), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_notifications_application_id", "notifications", ["application_id"])


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("material_rules")
    op.drop_table("materials")
    op.drop_table("application_steps")
    op.drop_constraint("ck_open_claims_state", "open_claims")
    op.drop_column("open_claims", "state")
    for column in reversed(_APPLICATION_COLUMNS):
        op.drop_column("applications", column.name)
