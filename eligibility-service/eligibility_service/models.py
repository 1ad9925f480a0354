"""Tables of the eligibility database."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from subsidy_shared.db import make_metadata
from subsidy_shared.messaging import messaging_tables

_NOW = sa.text("now()")
# Python None is SQL NULL, not the JSON value null, so `IS NULL` means "none".
NullableJSONB = JSONB(none_as_null=True)


class Base(DeclarativeBase):
    metadata = make_metadata()


outbox, inbox, audit_log = messaging_tables(Base.metadata)


class Case(Base):
    """A case at its locality, waiting for review (审核) and approval (审定)."""

    __tablename__ = "cases"
    # The worklist: open cases of a region, soonest decision first.
    __table_args__ = (sa.Index("ix_cases_worklist", "step", "decision_due", "application_id"),)

    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.Text, index=True)
    scope: Mapped[str] = mapped_column(sa.Text)
    accepting_region: Mapped[str] = mapped_column(sa.Text)
    hukou_region: Mapped[str] = mapped_column(sa.Text, index=True)
    locality_county: Mapped[str] = mapped_column(sa.Text, index=True)
    subsidies: Mapped[list[str]] = mapped_column(sa.ARRAY(sa.Text))
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    decision_due: Mapped[date] = mapped_column(sa.Date)
    step: Mapped[str] = mapped_column(sa.Text)
    application: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # 0002: the automatic pre-check, what the applicant declared, publicity, and when the case closed.
    precheck: Mapped[dict[str, Any] | None] = mapped_column(NullableJSONB, default=None)
    long_term_care_declared: Mapped[bool | None] = mapped_column(sa.Boolean, default=None)
    pending_decision: Mapped[dict[str, Any] | None] = mapped_column(NullableJSONB, default=None)
    publicity_ends_on: Mapped[date | None] = mapped_column(sa.Date, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=None)


class CaseReview(Base):
    """One reviewer's act on a case (审核, 残联审核, 审定, 公示): the case's history."""

    __tablename__ = "case_reviews"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("cases.application_id"), index=True
    )
    step: Mapped[str] = mapped_column(sa.Text)
    outcome: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    subsidies: Mapped[dict[str, str] | None] = mapped_column(NullableJSONB)
    actor_sub: Mapped[str] = mapped_column(sa.Text)
    actor_role: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Decision(Base):
    """The one decision of an application (the primary key is the invariant)."""

    __tablename__ = "decisions"

    application_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("cases.application_id"), primary_key=True
    )
    person_key: Mapped[str] = mapped_column(sa.Text, index=True)
    decided_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    decided_by: Mapped[str] = mapped_column(sa.Text)
    policy_version: Mapped[str] = mapped_column(sa.Text)
    decisions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class RegistryFact(Base):
    """The newest state of one registry record of a person (残联, 低保, 特困, 殡葬 …)."""

    __tablename__ = "registry_facts"

    person_key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    record_kind: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    source: Mapped[str] = mapped_column(sa.Text)
    change: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text)
    region: Mapped[str | None] = mapped_column(sa.Text)
    effective_date: Mapped[date | None] = mapped_column(sa.Date)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    observed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Policy(Base):
    """One version of a province's policy; `body` is a PolicyVersion as JSON."""

    __tablename__ = "policies"
    __table_args__ = (
        sa.UniqueConstraint("province", "effective_from"),
        sa.UniqueConstraint("province", "version"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    province: Mapped[str] = mapped_column(sa.Text)
    version: Mapped[str] = mapped_column(sa.Text)
    effective_from: Mapped[date] = mapped_column(sa.Date)
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_NOW)


class Beneficiary(Base):
    """What a person gets of one subsidy since its approval; payment keeps the ledger."""

    __tablename__ = "beneficiaries"

    person_key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    subsidy: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    hukou_region: Mapped[str] = mapped_column(sa.Text)
    tier: Mapped[str | None] = mapped_column(sa.Text)
    monthly_amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    policy_version: Mapped[str] = mapped_column(sa.Text)
    since_month: Mapped[str] = mapped_column(sa.Text)
    changed_month: Mapped[str | None] = mapped_column(sa.Text, default=None)
    needs_review: Mapped[dict[str, Any] | None] = mapped_column(NullableJSONB, default=None)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_NOW)
    # 0003: a concluded finding (复核) suspends or terminates from a month; a new approval makes it active again.
    status: Mapped[str] = mapped_column(sa.Text, default="active", server_default="active")
    status_month: Mapped[str | None] = mapped_column(sa.Text, default=None)


class Withdrawal(Base):
    """An application withdrawn (撤回); kept even when its case has not arrived yet (topics race)."""

    __tablename__ = "withdrawals"

    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.Text)
    withdrawn_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(sa.Text)
