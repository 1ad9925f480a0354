"""entitlement ledger, policy copy, payment runs and payments, bank lines, overpayments and recovery

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def _ledger() -> None:
    op.create_table(
        "entitlements",
        sa.Column("person_key", sa.Text, primary_key=True),
        sa.Column("subsidy", sa.Text, primary_key=True),
        sa.Column("application_id", UUID(as_uuid=True), nullable=False),
        sa.Column("province", sa.Text, nullable=False),
        sa.Column("county", sa.Text, nullable=False),
        sa.Column("township", sa.Text),
        sa.Column("hukou_region", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("id_number", sa.Text, nullable=False),
        sa.Column("bank", sa.Text, nullable=False),
        sa.Column("account_number", sa.Text, nullable=False),
        sa.Column("holder_name", sa.Text, nullable=False),
        sa.Column("account_changed_at", _TS),
        sa.Column("certificate_number", sa.Text, nullable=False),
        sa.Column("certificate_expires_on", sa.Date),
        sa.Column("reissuing", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("tier", sa.Text),
        sa.Column("monthly_amount_fen", sa.Integer, nullable=False),
        sa.Column("policy_version", sa.Text, nullable=False),
        sa.Column("start_month", sa.Date, nullable=False),
        sa.Column("stop_month", sa.Date),
        sa.Column("status", sa.Text, nullable=False, server_default="active"),
        sa.Column("arrears_from", sa.Date),
        sa.Column("decided_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint("monthly_amount_fen >= 0", name="ck_entitlements_amount_not_negative"),
    )
    # Runs select a county (or a whole province) by prefix.
    op.create_index("ix_entitlements_county", "entitlements", ["county"], postgresql_ops={"county": "text_pattern_ops"})
    op.create_table(
        "rate_periods",
        sa.Column("person_key", sa.Text, primary_key=True),
        sa.Column("subsidy", sa.Text, primary_key=True),
        sa.Column("from_month", sa.Date, primary_key=True),
        sa.Column("tier", sa.Text),
        sa.Column("amount_fen", sa.Integer, nullable=False),
        sa.Column("fixed_fen", sa.Integer),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "holds",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("subsidy", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("from_month", sa.Date, nullable=False),
        sa.Column("to_month", sa.Date),
        sa.Column("finding_id", UUID(as_uuid=True)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_holds_person_key", "holds", ["person_key"])
    op.create_table(
        "certificates",
        sa.Column("person_key", sa.Text, primary_key=True),
        sa.Column("record_id", sa.Text, nullable=False),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("issued_on", sa.Date),
        sa.Column("expires_on", sa.Date),
        sa.Column("observed_at", _TS, nullable=False),
    )
    op.create_table(
        "informed",
        sa.Column("person_key", sa.Text, primary_key=True),
        sa.Column("subsidy", sa.Text, primary_key=True),
        sa.Column("informed_at", _TS, nullable=False),
    )


def _policy_copy() -> None:
    op.create_table(
        "policies",
        sa.Column("province", sa.Text, primary_key=True),
        sa.Column("version", sa.Text, primary_key=True),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("body", JSONB, nullable=False),
    )
    op.create_table(
        "tier_rates",
        sa.Column("province", sa.Text, primary_key=True),
        sa.Column("subsidy", sa.Text, primary_key=True),
        sa.Column("tier", sa.Text, primary_key=True),
        sa.Column("from_month", sa.Date, primary_key=True),
        sa.Column("to_month", sa.Date),
        sa.Column("amount_fen", sa.Integer, nullable=False),
        sa.Column("policy_version", sa.Text, nullable=False),
    )
    op.create_table(
        "transitions",
        sa.Column("province", sa.Text, primary_key=True),
        sa.Column("from_month", sa.Date, primary_key=True),
        sa.Column("to_month", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )


def _runs() -> None:
    op.create_table(
        "payment_runs",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("prefix", sa.Text, nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("completed_at", _TS),
        sa.Column("paid_count", sa.Integer, nullable=False),
        sa.Column("arrears_count", sa.Integer, nullable=False),
        sa.Column("carried_count", sa.Integer, nullable=False),
        sa.Column("total_fen", sa.BigInteger, nullable=False),
        sa.Column("offset_fen", sa.BigInteger, nullable=False),
        sa.Column("by_subsidy", JSONB, nullable=False),
    )
    op.create_index("ix_payment_runs_region_month", "payment_runs", ["region", "month"])
    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("subsidy", sa.Text, nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("amount_fen", sa.Integer, nullable=False),
        sa.Column("offset_fen", sa.Integer, nullable=False, server_default="0"),
        sa.Column("tier", sa.Text),
        sa.Column("county", sa.Text, nullable=False),
        sa.Column("run_id", UUID(as_uuid=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="issued"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("failure_reason", sa.Text),
        sa.Column("failed_at", _TS),
        sa.UniqueConstraint("person_key", "subsidy", "month", name="uq_payments_person_subsidy_month"),
        sa.CheckConstraint("offset_fen >= 0 AND offset_fen <= amount_fen", name="ck_payments_offset_within_amount"),
    )
    op.create_index("ix_payments_run_id", "payments", ["run_id"])
    op.create_index("ix_payments_county_month", "payments", ["county", "month"])
    op.create_table(
        "bank_lines",
        sa.Column("run_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("bank", sa.Text, primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("payment_id", sa.BigInteger, nullable=False),
        sa.Column("account_number", sa.Text, nullable=False),
        sa.Column("holder_name", sa.Text, nullable=False),
        sa.Column("amount_fen", sa.Integer, nullable=False),
        sa.Column("memo", sa.Text, nullable=False),
        sa.Column("result", sa.Text),
        sa.Column("reason", sa.Text),
    )


def _recovery() -> None:
    op.create_table(
        "overpayments",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("subsidy", sa.Text, nullable=False),
        sa.Column("county", sa.Text, nullable=False),
        sa.Column("months", JSONB, nullable=False),
        sa.Column("total_fen", sa.Integer, nullable=False),
        sa.Column("recovered_fen", sa.Integer, nullable=False),
        sa.Column("rule_id", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("finding_id", UUID(as_uuid=True)),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.CheckConstraint("recovered_fen <= total_fen", name="ck_overpayments_not_over_recovered"),
    )
    op.create_index("ix_overpayments_person_key", "overpayments", ["person_key"])
    op.create_table(
        "recoveries",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("overpayment_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("amount_fen", sa.Integer, nullable=False),
        sa.Column("payment_id", sa.BigInteger),
        sa.Column("reference", sa.Text),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
    )
    op.create_index("ix_recoveries_overpayment_id", "recoveries", ["overpayment_id"])
    op.create_table(
        "backpay_approvals",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("subsidy", sa.Text, nullable=False),
        sa.Column("months", JSONB, nullable=False),
        sa.Column("approved_by", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("approved_at", _TS, nullable=False),
    )
    op.create_index("ix_backpay_approvals_person_key", "backpay_approvals", ["person_key"])


def upgrade() -> None:
    _ledger()
    _policy_copy()
    _runs()
    _recovery()


def downgrade() -> None:
    for table in (
        "backpay_approvals",
        "recoveries",
        "overpayments",
        "bank_lines",
        "payments",
        "payment_runs",
        "transitions",
        "tier_rates",
        "policies",
        "informed",
        "certificates",
        "holds",
        "rate_periods",
        "entitlements",
    ):
        op.drop_table(table)
