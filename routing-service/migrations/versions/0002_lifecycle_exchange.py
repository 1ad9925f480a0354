"""case lifecycle and clocks, province-system exchange, deadline breaches

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMPS = ("pushed_at", "decided_at", "result_returned_at", "notified_at", "withdrawn_at", "result_pushed_at")


def upgrade() -> None:
    for name in _TIMESTAMPS:
        op.add_column("cases", sa.Column(name, sa.DateTime(timezone=True)))
    op.add_column("cases", sa.Column("decided_by", sa.Text))
    op.add_column("cases", sa.Column("outcomes", JSONB))
    op.add_column("cases", sa.Column("notify_due", sa.Date))
    op.add_column("cases", sa.Column("external_system", sa.Text))
    op.add_column("cases", sa.Column("origin_system", sa.Text))
    op.add_column("cases", sa.Column("origin_external_id", sa.Text))
    op.add_column("cases", sa.Column("push_attempts", sa.Integer, nullable=False, server_default="0"))
    op.add_column("cases", sa.Column("next_push_at", sa.DateTime(timezone=True)))
    op.add_column("cases", sa.Column("last_push_error", sa.Text))
    # A case for a province system gets its decision clock only when that system acknowledges it.
    op.alter_column("cases", "decision_due", nullable=True)
    # Cases routed before this revision all went to our own system: the locality had them at routing time.
    op.execute("UPDATE cases SET pushed_at = received_at WHERE pushed_at IS NULL")
    op.create_index(
        "ix_cases_push_queue",
        "cases",
        ["next_push_at"],
        postgresql_where=sa.text("status IN ('push_pending', 'result_push_pending')"),
    )
    # The breach scan and the overdue list look only at open clocks.
    for clock, due, done in (("push", "push_due", "pushed_at"), ("decision", "decision_due", "decided_at")):
        op.create_index(f"ix_cases_open_{clock}", "cases", [due], postgresql_where=sa.text(f"{done} IS NULL"))
    op.create_index("ix_cases_open_notify", "cases", ["notify_due"], postgresql_where=sa.text("notified_at IS NULL"))
    op.create_table(
        "deadline_breaches",
        sa.Column(
            "application_id",
            UUID(as_uuid=True),
            sa.ForeignKey("cases.application_id", name="fk_deadline_breaches_application_id_cases"),
            nullable=False,
        ),
        sa.Column("deadline", sa.Text, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("application_id", "deadline", name="pk_deadline_breaches"),
    )


def downgrade() -> None:
    op.drop_table("deadline_breaches")
    for name in ("ix_cases_open_notify", "ix_cases_open_decision", "ix_cases_open_push", "ix_cases_push_queue"):
        op.drop_index(name, table_name="cases")
    op.execute("UPDATE cases SET decision_due = received_at::date WHERE decision_due IS NULL")
    op.alter_column("cases", "decision_due", nullable=False)
    for name in (
        *_TIMESTAMPS,
        "decided_by",
        "outcomes",
        "notify_due",
        "external_system",
        "origin_system",
        "origin_external_id",
        "push_attempts",
        "next_push_at",
        "last_push_error",
    ):
        op.drop_column("cases", name)
