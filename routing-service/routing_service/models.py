"""Tables of the routing database."""

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
    """An application on its way to its 业务属地 (the hukou county), with its deadlines."""

    __tablename__ = "cases"

    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.Text, index=True)
    scope: Mapped[str] = mapped_column(sa.Text)
    accepting_region: Mapped[str] = mapped_column(sa.Text, index=True)
    hukou_region: Mapped[str] = mapped_column(sa.Text, index=True)
    locality_county: Mapped[str] = mapped_column(sa.Text)
    locality_township: Mapped[str | None] = mapped_column(sa.Text)
    materials_complete_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    push_due: Mapped[date] = mapped_column(sa.Date)
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    decision_due: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.Text)
    application: Mapped[dict[str, Any]] = mapped_column(JSONB)
