"""Tables of the intake database."""

from __future__ import annotations

import uuid
from datetime import datetime
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


class OpenClaim(Base):
    """One open application per person and subsidy, nationwide (no 重复领取)."""

    __tablename__ = "open_claims"

    person_key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    subsidy: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), sa.ForeignKey("applications.id"), index=True)
    accepting_region: Mapped[str] = mapped_column(sa.Text)
    hukou_region: Mapped[str] = mapped_column(sa.Text)
