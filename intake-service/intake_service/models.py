"""Tables of the intake database."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from subsidy_shared.db import make_metadata
from subsidy_shared.messaging import messaging_tables


class Base(DeclarativeBase):
    metadata = make_metadata()


outbox, inbox, audit_log = messaging_tables(Base.metadata)


class Application(Base):
    """An application as handed in at a window (受理)."""

    __tablename__ = "applications"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.Text, index=True)
    id_number: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    phone: Mapped[str | None] = mapped_column(sa.Text)
    hukou_region: Mapped[str] = mapped_column(sa.Text)
    accepting_region: Mapped[str] = mapped_column(sa.Text, index=True)
    certificate_number: Mapped[str] = mapped_column(sa.Text)
    subsidies: Mapped[list[str]] = mapped_column(ARRAY(sa.Text))
    bank_account: Mapped[dict[str, Any]] = mapped_column(JSONB)
    agent: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(sa.Text)
    accepted_by: Mapped[str] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    # The checklist as told at the window (一次性告知): what completes the file.
    required_materials: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    materials_complete_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    pushed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    locality_county: Mapped[str | None] = mapped_column(sa.Text)
    external_system: Mapped[str | None] = mapped_column(sa.Text)
    decision_due: Mapped[date | None] = mapped_column(sa.Date)
    result_returned_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    outcomes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    notify_due: Mapped[date | None] = mapped_column(sa.Date)
    notified_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class OpenClaim(Base):
    """One open application per person and subsidy, nationwide (no 重复领取)."""

    __tablename__ = "open_claims"

    person_key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    subsidy: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), sa.ForeignKey("applications.id"), index=True)
    accepting_region: Mapped[str] = mapped_column(sa.Text)
    hukou_region: Mapped[str] = mapped_column(sa.Text)
    # open: an application is in progress; receiving: approved, so a new one would be 重复领取.
    state: Mapped[str] = mapped_column(sa.Text, default="open")


class Step(Base):
    """The timeline of an application: every step, when, by whom (append-only)."""

    __tablename__ = "application_steps"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), sa.ForeignKey("applications.id"), index=True)
    step: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(sa.Text)
    actor_role: Mapped[str | None] = mapped_column(sa.Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class Material(Base):
    """An electronic material (no paper is forwarded between provinces)."""

    __tablename__ = "materials"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), sa.ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.Text)
    filename: Mapped[str] = mapped_column(sa.Text)
    content_type: Mapped[str] = mapped_column(sa.Text)
    size_bytes: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.Text)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    uploaded_by: Mapped[str] = mapped_column(sa.Text)


class MaterialRule(Base):
    """A province's or county's addition to the national checklist, valid from a date."""

    __tablename__ = "material_rules"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    region: Mapped[str] = mapped_column(sa.Text, index=True)
    kind: Mapped[str] = mapped_column(sa.Text)
    label: Mapped[str] = mapped_column(sa.Text)
    subsidy: Mapped[str | None] = mapped_column(sa.Text)
    proxy_only: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    effective_from: Mapped[date] = mapped_column(sa.Date)
    effective_to: Mapped[date | None] = mapped_column(sa.Date)
    created_by: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Notification(Base):
    """How and when the applicant was told the result."""

    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), sa.ForeignKey("applications.id"), index=True)
    channel: Mapped[str] = mapped_column(sa.Text)
    notified_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(sa.Text)
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(sa.Text)
