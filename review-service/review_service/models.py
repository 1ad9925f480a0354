"""Tables of the review database: registry records, the read models fed by events, and review's own work."""

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
NullableJSONB = JSONB(none_as_null=True)


class Base(DeclarativeBase):
    metadata = make_metadata()


outbox, inbox, audit_log = messaging_tables(Base.metadata)


# ---- registry ----------------------------------------------------------------------------------------


class RegistryRecord(Base):
    """The newest import of one record of a source registry (残联, 低保, 殡葬, 公安 …)."""

    __tablename__ = "registry_records"
    __table_args__ = (
        sa.Index(
            "ix_registry_records_certificate_expiry", "expires_on", postgresql_where=sa.text("expires_on IS NOT NULL")
        ),
    )

    source: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    record_kind: Mapped[str] = mapped_column(sa.Text)
    change: Mapped[str] = mapped_column(sa.Text)
    in_force: Mapped[bool] = mapped_column(sa.Boolean)
    person_key: Mapped[str] = mapped_column(sa.Text, index=True)
    id_number: Mapped[str] = mapped_column(sa.Text)
    region: Mapped[str | None] = mapped_column(sa.Text)
    effective_date: Mapped[date | None] = mapped_column(sa.Date)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # Certificates only: what the expiry reminders, discovery and the quarterly comparison read.
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    category: Mapped[int | None] = mapped_column(sa.SmallInteger)
    grade: Mapped[int | None] = mapped_column(sa.SmallInteger)
    content_hash: Mapped[str] = mapped_column(sa.Text)
    observed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


# ---- read models fed by events --------------------------------------------------------------------------


class Beneficiary(Base):
    """One subsidy a person gets (eligibility.decided, benefit.changed, benefit.suspended/resumed/terminated)."""

    __tablename__ = "beneficiaries"
    __table_args__ = (
        sa.Index("ix_beneficiaries_hukou_region", "hukou_region", postgresql_ops={"hukou_region": "text_pattern_ops"}),
    )

    person_key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    subsidy: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str] = mapped_column(sa.Text)
    id_number: Mapped[str] = mapped_column(sa.Text)
    hukou_region: Mapped[str] = mapped_column(sa.Text)
    certificate_number: Mapped[str] = mapped_column(sa.Text)
    tier: Mapped[str | None] = mapped_column(sa.Text)
    monthly_amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    since_month: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text)  # active | suspended | terminated
    status_month: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_NOW)


class OpenApplication(Base):
    """An application handed in and not yet decided or withdrawn (application.submitted … eligibility.decided)."""

    __tablename__ = "open_applications"

    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.Text, index=True)
    name: Mapped[str] = mapped_column(sa.Text)
    id_number: Mapped[str] = mapped_column(sa.Text)
    hukou_region: Mapped[str] = mapped_column(sa.Text)
    certificate_number: Mapped[str] = mapped_column(sa.Text)
    subsidies: Mapped[list[str]] = mapped_column(sa.ARRAY(sa.Text))
    submitted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ClosedApplication(Base):
    """An application decided or withdrawn; kept so that a late application.submitted does not reopen it."""

    __tablename__ = "closed_applications"

    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Policy(Base):
    """Review's copy of a province's policy version (seeded from the examples, then policy.published)."""

    __tablename__ = "policies"

    province: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    version: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    effective_from: Mapped[date] = mapped_column(sa.Date)
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)


# ---- review's own work ----------------------------------------------------------------------------------


class Finding(Base):
    """One flag a comparison raised (复核): open until a county official concludes it."""

    __tablename__ = "findings"
    __table_args__ = (
        # One open finding per person, subsidy set and rule: comparison runs are idempotent.
        sa.Index(
            "uq_findings_open",
            "person_key",
            "subsidy_set",
            "rule_id",
            unique=True,
            postgresql_where=sa.text("status = 'open'"),
        ),
        sa.Index("ix_findings_record", "person_key", "record_source", "record_id"),
        sa.Index("ix_findings_listing", "status", "raised_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    id_number: Mapped[str] = mapped_column(sa.Text)
    hukou_region: Mapped[str] = mapped_column(sa.Text)
    subsidies: Mapped[list[str]] = mapped_column(sa.ARRAY(sa.Text))
    subsidy_set: Mapped[str] = mapped_column(sa.Text)
    rule_id: Mapped[str] = mapped_column(sa.Text)
    record_source: Mapped[str] = mapped_column(sa.Text)
    record_id: Mapped[str] = mapped_column(sa.Text)
    record_hash: Mapped[str] = mapped_column(sa.Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB)
    suggested_action: Mapped[str] = mapped_column(sa.Text)
    effective_month: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text)  # open | concluded
    raised_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    run_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    conclusion: Mapped[dict[str, Any] | None] = mapped_column(NullableJSONB, default=None)
    concluded_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=None)


class ComparisonRun(Base):
    """One comparison of a region's beneficiaries with the registry records (数据比对)."""

    __tablename__ = "comparison_runs"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    region: Mapped[str] = mapped_column(sa.Text)
    requested_by: Mapped[str] = mapped_column(sa.Text)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    checked: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    raised: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    by_rule: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)


class Campaign(Base):
    """A review campaign: the yearly provincial review, a monthly village check or a quarterly comparison."""

    __tablename__ = "campaigns"
    __table_args__ = (sa.UniqueConstraint("kind", "region", "period"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.Text)
    region: Mapped[str] = mapped_column(sa.Text)
    period: Mapped[str] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class CampaignItem(Base):
    """One person (or, in a quarterly comparison, one mismatch) a campaign has to check."""

    __tablename__ = "campaign_items"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "person_key", "subject"),
        sa.Index("ix_campaign_items_progress", "campaign_id", "county", "status"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), sa.ForeignKey("campaigns.id"))
    person_key: Mapped[str] = mapped_column(sa.Text)
    subject: Mapped[str] = mapped_column(sa.Text)
    county: Mapped[str] = mapped_column(sa.Text)
    township: Mapped[str | None] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    id_number: Mapped[str] = mapped_column(sa.Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(sa.Text)  # pending | done
    outcome: Mapped[str | None] = mapped_column(sa.Text, default=None)
    method: Mapped[str | None] = mapped_column(sa.Text, default=None)
    note: Mapped[str | None] = mapped_column(sa.Text, default=None)
    checked_by: Mapped[str | None] = mapped_column(sa.Text, default=None)
    checked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=None)


class CertificateReminder(Base):
    """A reminder sent for one certificate's expiry (70号 item 13): at most one per card and expiry date."""

    __tablename__ = "certificate_reminders"
    __table_args__ = (sa.Index("ix_certificate_reminders_listing", "township", "expires_on", "person_key"),)

    source: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    expires_on: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.Text)
    id_number: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str | None] = mapped_column(sa.Text)
    certificate_number: Mapped[str] = mapped_column(sa.Text)
    region: Mapped[str] = mapped_column(sa.Text)
    township: Mapped[str] = mapped_column(sa.Text)
    reminded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class SurvivalCheck(Base):
    """One 生存验证 of a beneficiary: face recognition, home visit or video call."""

    __tablename__ = "survival_checks"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.Text, index=True)
    method: Mapped[str] = mapped_column(sa.Text)
    result: Mapped[str] = mapped_column(sa.Text)  # passed | failed
    checked_on: Mapped[date] = mapped_column(sa.Date)
    checked_by: Mapped[str] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class PersonInformedRecord(Base):
    """政策找人: someone eligible who was told of the policy (P8: no backpay on a later application)."""

    __tablename__ = "informed_people"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.Text, index=True)
    subsidies: Mapped[list[str]] = mapped_column(sa.ARRAY(sa.Text))
    township: Mapped[str | None] = mapped_column(sa.Text)
    channel: Mapped[str] = mapped_column(sa.Text)
    informed_by: Mapped[str] = mapped_column(sa.Text)
    informed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
