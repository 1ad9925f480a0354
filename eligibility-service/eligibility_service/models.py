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


class Base(DeclarativeBase):
    metadata = make_metadata()


outbox, inbox, audit_log = messaging_tables(Base.metadata)


class Case(Base):
    """A case at its locality, waiting for review (审核) and approval (审定)."""

    __tablename__ = "cases"

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
