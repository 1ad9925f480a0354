"""Transactional outbox: events are rows written with the state change; a relay publishes them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import sqlalchemy as sa
import structlog
from aiokafka import AIOKafkaProducer
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subsidy_shared.events import Event, encode_event
from subsidy_shared.locks import try_round_lock
from subsidy_shared.metrics import EVENTS_PRODUCED, OUTBOX_BACKLOG

log = structlog.get_logger(__name__)

# A lightweight table clause: each service declares the real table in its own metadata.
_outbox = sa.table(
    "outbox",
    sa.column("seq", sa.BigInteger),
    sa.column("event_id", UUID(as_uuid=True)),
    sa.column("topic", sa.Text),
    sa.column("key", sa.Text),
    sa.column("payload", sa.LargeBinary),
    sa.column("published_at", sa.DateTime(timezone=True)),
)


async def add(session: AsyncSession, event: Event) -> None:
    """Queue `event` in the caller's transaction; it is published only if that transaction commits."""
    await add_many(session, [event])


async def add_many(session: AsyncSession, events: Sequence[Event]) -> None:
    if not events:
        return
    rows = [{"event_id": e.id, "topic": e.topic, "key": e.key, "payload": encode_event(e)} for e in events]
    await session.execute(sa.insert(_outbox), rows)


async def backlog(session: AsyncSession) -> int:
    stmt = sa.select(sa.func.count()).select_from(_outbox).where(_outbox.c.published_at.is_(None))
    return int((await session.execute(stmt)).scalar_one())


class OutboxRelay:
    """Publishes outbox rows in order with an idempotent producer, then marks them published."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        *,
        service: str,
        topic_prefix: str = "",
        batch_size: int = 500,
        poll_seconds: float = 0.1,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._producer = producer
        self._service = service
        self._prefix = topic_prefix
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds

    async def publish_batch(self) -> int:
        """Publish up to one batch; returns how many rows were published."""
        async with self._sessionmaker() as session, session.begin():
            # One relay per database publishes at a time: two replicas each taking a batch would interleave a
            # person's events on the topic. The others wait their turn (a lock per transaction, so a dead
            # relay's turn ends with its connection).
            if not await try_round_lock(session, "outbox-relay"):
                return 0
            stmt = (
                sa.select(_outbox.c.seq, _outbox.c.topic, _outbox.c.key, _outbox.c.payload)
                .where(_outbox.c.published_at.is_(None))
                .order_by(_outbox.c.seq)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = (await session.execute(stmt)).all()
            if not rows:
                return 0
            sends = [
                await self._producer.send(
                    self._prefix + row.topic,
                    value=row.payload,
                    key=row.key.encode() if row.key else None,
                )
                for row in rows
            ]
            await asyncio.gather(*sends)
            await session.execute(
                sa.update(_outbox)
                .where(_outbox.c.seq.in_([row.seq for row in rows]))
                .values(published_at=sa.func.now())
            )
        EVENTS_PRODUCED.labels(self._service).inc(len(rows))
        return len(rows)

    async def run(self) -> None:
        """Relay forever; a broker or database hiccup is logged and retried."""
        while True:
            try:
                published = await self.publish_batch()
                if published < self._batch_size:
                    await self._report_backlog()
                    await asyncio.sleep(self._poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox.relay_failed", service=self._service)
                await asyncio.sleep(1.0)

    async def _report_backlog(self) -> None:
        async with self._sessionmaker() as session:
            OUTBOX_BACKLOG.labels(self._service).set(await backlog(session))
