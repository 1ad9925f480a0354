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
    """An application on its way to its 业务属地 (the hukou county) and back, with its three clocks."""

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
    # When routing received the case; the locality's receipt is `pushed_at`.
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    # Known once the locality has the case (10 working days from `pushed_at`).
    decision_due: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.Text)
    application: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # Province whose own system decides the case (自建系统), and the province system that sent it to us.
    external_system: Mapped[str | None] = mapped_column(sa.Text)
    origin_system: Mapped[str | None] = mapped_column(sa.Text)
    origin_external_id: Mapped[str | None] = mapped_column(sa.Text)
    pushed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(sa.Text)
    outcomes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    result_returned_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    notify_due: Mapped[date | None] = mapped_column(sa.Date)
    notified_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    result_pushed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The delivery to a province system now under way (the case, then its result): kept in the row so a
    # restart keeps the retry schedule.
    push_attempts: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    next_push_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_push_error: Mapped[str | None] = mapped_column(sa.Text)


class DeadlineBreach(Base):
    """One row per breached clock: the unique key makes `case.deadline_breached` go out once, on any replica."""

    __tablename__ = "deadline_breaches"

    application_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("cases.application_id"), primary_key=True
    )
    deadline: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    due_date: Mapped[date] = mapped_column(sa.Date)
    region: Mapped[str] = mapped_column(sa.Text)
    detected_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
