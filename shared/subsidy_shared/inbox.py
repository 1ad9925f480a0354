"""Inbox: the event ids a consumer has applied, written in the same transaction as the effect."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from subsidy_shared.events import Event

_inbox = sa.table(
    "inbox",
    sa.column("consumer", sa.Text),
    sa.column("event_id", UUID(as_uuid=True)),
    sa.column("event_type", sa.Text),
)


async def claim(session: AsyncSession, consumer: str, event: Event) -> bool:
    """True the first time `consumer` sees this event id; False on a redelivery or replay."""
    stmt = (
        insert(_inbox)
        .values(consumer=consumer, event_id=event.id, event_type=event.type)
        .on_conflict_do_nothing()
        .returning(_inbox.c.event_id)
    )
    return (await session.execute(stmt)).first() is not None
