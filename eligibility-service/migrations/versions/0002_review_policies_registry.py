"""review workflow, decisions, policies as data, registry read model, beneficiaries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.text("now()")


def _case_columns() -> None:
    op.add_column("cases", sa.Column("precheck", JSONB))
    op.add_column("cases", sa.Column("long_term_care_declared", sa.Boolean))
    op.add_column("cases", sa.Column("pending_decision", JSONB))
    op.add_column("cases", sa.Column("publicity_ends_on", sa.Date))
    op.add_column("cases", sa.Column("decided_at", sa.DateTime(timezone=True)))
    op.add_column("cases", sa.Column("closed_at", sa.DateTime(timezone=True)))
    # The worklist: open cases of a region, soonest decision first.
    op.create_index("ix_cases_worklist", "cases", ["step", "decision_due", "application_id"])


def _review_tables() -> None:
    op.create_table(
        "case_reviews",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "application_id",
            UUID(as_uuid=True),
            sa.ForeignKey("cases.application_id", name="fk_case_reviews_application_id_cases"),
            nullable=False,
        ),
        sa.Column("step", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("subsidies", JSONB),
        sa.Column("actor_sub", sa.Text, nullable=False),
        sa.Column("actor_role", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_reviews_application_id", "case_reviews", ["application_id"])
    op.create_table(
        "decisions",
        sa.Column(
            "application_id",
            UUID(as_uuid=True),
            sa.ForeignKey("cases.application_id", name="fk_decisions_application_id_cases"),
            primary_key=True,
        ),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("policy_version", sa.Text, nullable=False),
        sa.Column("decisions", JSONB, nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    )
    op.create_index("ix_decisions_person_key", "decisions", ["person_key"])
    op.create_table(
        "withdrawals",
        sa.Column("application_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text),
    )


def _registry_and_beneficiaries() -> None:
    op.create_table(
        "registry_facts",
        sa.Column("person_key", sa.Text, primary_key=True),
        sa.Column("record_kind", sa.Text, primary_key=True),
        sa.Column("record_id", sa.Text, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("region", sa.Text),
        sa.Column("effective_date", sa.Date),
        sa.Column("facts", JSONB, nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "beneficiaries",
        sa.Column("person_key", sa.Text, primary_key=True),
        sa.Column("subsidy", sa.Text, primary_key=True),
        sa.Column("application_id", UUID(as_uuid=True), nullable=False),
        sa.Column("hukou_region", sa.Text, nullable=False),
        sa.Column("tier", sa.Text),
        sa.Column("monthly_amount_fen", sa.BigInteger, nullable=False),
        sa.Column("policy_version", sa.Text, nullable=False),
        sa.Column("since_month", sa.Text, nullable=False),
        sa.Column("changed_month", sa.Text),
        sa.Column("needs_review", JSONB),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    )


def _policies() -> None:
    policies = op.create_table(
        "policies",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("province", sa.Text, nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("body", JSONB, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.UniqueConstraint("province", "effective_from", name="uq_policies_province_effective_from"),
        sa.UniqueConstraint("province", "version", name="uq_policies_province_version"),
    )
    # The shipped examples as they are at this revision; later example changes need their own migration.
    from subsidy_shared.policy.examples import EXAMPLES

    rows = [
        {
            "province": v.province,
            "version": v.version,
            "effective_from": v.effective_from,
            "body": json.loads(v.model_dump_json()),
            "created_by": "seed:0002",
        }
        for v in EXAMPLES
    ]
    op.bulk_insert(policies, rows)


def upgrade() -> None:
    _case_columns()
    _review_tables()
    _registry_and_beneficiaries()
    _policies()


def downgrade() -> None:
    for table in ("policies", "beneficiaries", "registry_facts", "withdrawals", "decisions", "case_reviews"):
        op.drop_table(table)
    op.drop_index("ix_cases_worklist", table_name="cases")
    for column in ("closed_at", "decided_at", "publicity_ends_on", "pending_decision", "long_term_care_declared"):
        op.drop_column("cases", column)
    op.drop_column("cases", "precheck")
