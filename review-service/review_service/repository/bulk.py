"""COPY into PostgreSQL through the session's own asyncpg connection, inside its transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.events import Event, encode_event


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session; the transaction must already have begun (see `begin`)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    return driver


async def copy_rows(session: AsyncSession, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    # A statement through SQLAlchemy first: it opens the transaction the COPY then runs in.
    await session.execute(sa.text("SELECT 1"))
    driver = await driver_connection(session)
    await driver.copy_records_to_table(table, records=rows, columns=list(columns))


async def copy_to_outbox(session: AsyncSession, events: Iterable[Event]) -> None:
    """Like `outbox.add_many`, for tens of thousands of events at once (same rows, by COPY, encoded as sent)."""
    rows = ((e.id, e.topic, e.key, encode_event(e)) for e in events)
    await copy_rows(session, "outbox", ("event_id", "topic", "key", "payload"), rows)
