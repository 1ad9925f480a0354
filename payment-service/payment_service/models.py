"""Tables of the payment database: the entitlement ledger, runs and payments, bank lines, recovery."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from subsidy_shared.db import make_metadata
from subsidy_shared.messaging import messaging_tables


class Base(DeclarativeBase):
    metadata = make_metadata()


outbox, inbox, audit_log = messaging_tables(Base.metadata)


class Entitlement(Base):
    """One person's right to one subsidy (person × subsidy), as approved and changed since."""

    __tablename__ = "entitlements"
    __table_args__ = (
        sa.CheckConstraint("monthly_amount_fen >= 0", name="ck_entitlements_amount_not_negative"),
        sa.Index("ix_entitlements_county", "county", postgresql_ops={"county": "text_pattern_ops"}),
    )

    person_key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    subsidy: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    province: Mapped[str] = mapped_column(sa.Text)
    county: Mapped[str] = mapped_column(sa.Text)
    township: Mapped[str | None] = mapped_column(sa.Text)
    hukou_region: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    id_number: Mapped[str] = mapped_column(sa.Text)
    bank: Mapped[str] = mapped_column(sa.Text)
    account_number: Mapped[str] = mapped_column(sa.Text)
    holder_name: Mapped[str] = mapped_column(sa.Text)
    account_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=None)
    certificate_number: Mapped[str] = mapped_column(sa.Text)
    certificate_expires_on: Mapped[date | None] = mapped_column(sa.Date, default=None)
    reissuing: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    tier: Mapped[str | None] = mapped_column(sa.Text)
    monthly_amount_fen: Mapped[int] = mapped_column(sa.Integer)
    policy_version: Mapped[str] = mapped_column(sa.Text)
    start_month: Mapped[date] = mapped_column(sa.Date)
    stop_month: Mapped[date | None] = mapped_column(sa.Date, default=None)
    status: Mapped[str] = mapped_column(sa.Text, default="active")
    # Set when months before the current run must be looked at again (a new decision, a renewal, backpay).
    arrears_from: Mapped[date | None] = mapped_column(sa.Date, default=None)
    decided_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class RatePeriod(Base):
    """From a month on, the tier paid (its amount: the policy's that month, or a fixed old standard)."""

    __tablename__ = "rate_periods"

    person_key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    subsidy: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    from_month: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    tier: Mapped[str | None] = mapped_column(sa.Text)
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    fixed_fen: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    reason: Mapped[str] = mapped_column(sa.Text)


class Hold(Base):
    """Months not paid: `suspended`, `terminated` (open-ended) or a `certificate_gap` before a renewal."""

    __tablename__ = "holds"
    __table_args__ = (sa.Index("ix_holds_person_key", "person_key"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.Text)
    subsidy: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text)
    from_month: Mapped[date] = mapped_column(sa.Date)
    to_month: Mapped[date | None] = mapped_column(sa.Date, default=None)
    finding_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Policy(Base):
    """payment's copy of each policy version (seeded from the examples, then `policy.published`)."""

    __tablename__ = "policies"

    province: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    version: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    effective_from: Mapped[date] = mapped_column(sa.Date)
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)


tier_rates = sa.Table(
    "tier_rates",
    Base.metadata,
    sa.Column("province", sa.Text, primary_key=True),
    sa.Column("subsidy", sa.Text, primary_key=True),
    sa.Column("tier", sa.Text, primary_key=True),
    sa.Column("from_month", sa.Date, primary_key=True),
    sa.Column("to_month", sa.Date),
    sa.Column("amount_fen", sa.Integer, nullable=False),
    sa.Column("policy_version", sa.Text, nullable=False),
)

transitions = sa.Table(
    "transitions",
    Base.metadata,
    sa.Column("province", sa.Text, primary_key=True),
    sa.Column("from_month", sa.Date, primary_key=True),
    sa.Column("to_month", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)


class Certificate(Base):
    """The newest certificate record of a person, for entitlements decided after it arrived."""

    __tablename__ = "certificates"

    person_key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.Text)
    change: Mapped[str] = mapped_column(sa.Text)
    issued_on: Mapped[date | None] = mapped_column(sa.Date)
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    observed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Informed(Base):
    """政策找人: the person was told of the policy (P8: a later application brings no backpay)."""

    __tablename__ = "informed"

    person_key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    subsidy: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    informed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class PaymentRun(Base):
    __tablename__ = "payment_runs"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    region: Mapped[str] = mapped_column(sa.Text)
    prefix: Mapped[str] = mapped_column(sa.Text)
    month: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.Text)
    requested_by: Mapped[str] = mapped_column(sa.Text)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=None)
    paid_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    arrears_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    carried_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    total_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    offset_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    by_subsidy: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)


payments = sa.Table(
    "payments",
    Base.metadata,
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
    sa.Column("failed_at", sa.DateTime(timezone=True)),
    sa.Column("overpayment_id", UUID(as_uuid=True)),  # 0004: this month is owed back under that overpayment
    # The invariant of the whole service: one payment per person, subsidy and month, ever.
    sa.UniqueConstraint("person_key", "subsidy", "month", name="uq_payments_person_subsidy_month"),
    sa.CheckConstraint("offset_fen >= 0 AND offset_fen <= amount_fen", name="ck_payments_offset_within_amount"),
    sa.Index("ix_payments_run_id", "run_id"),
    # Publicity and reports: one month of a region (a county, city or province prefix).
    sa.Index("ix_payments_month_county", "month", "county", postgresql_ops={"county": "text_pattern_ops"}),
)

bank_lines = sa.Table(
    "bank_lines",
    Base.metadata,
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


class Overpayment(Base):
    """追回: months paid that should not have been (a stop found late), and what is still owed."""

    __tablename__ = "overpayments"
    __table_args__ = (sa.CheckConstraint("recovered_fen <= total_fen", name="ck_overpayments_not_over_recovered"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.Text, index=True)
    subsidy: Mapped[str] = mapped_column(sa.Text)
    county: Mapped[str] = mapped_column(sa.Text)
    months: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    total_fen: Mapped[int] = mapped_column(sa.Integer)
    recovered_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    rule_id: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.Text)
    finding_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Recovery(Base):
    """One amount taken back: a repayment by the person, or an offset against a later payment."""

    __tablename__ = "recoveries"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    overpayment_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    kind: Mapped[str] = mapped_column(sa.Text)
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    payment_id: Mapped[int | None] = mapped_column(sa.BigInteger, default=None)
    reference: Mapped[str | None] = mapped_column(sa.Text, default=None)
    recorded_by: Mapped[str] = mapped_column(sa.Text)
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class BackpayApproval(Base):
    """P5: discretionary backpay on renewal, with who approved it and why."""

    __tablename__ = "backpay_approvals"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.Text, index=True)
    subsidy: Mapped[str] = mapped_column(sa.Text)
    months: Mapped[list[str]] = mapped_column(JSONB)
    approved_by: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.Text)
    approved_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
