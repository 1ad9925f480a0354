"""Kafka: the idempotent producer, topic creation, and the consumer runner with retries and a DLQ."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.errors import CommitFailedError, IllegalStateError, InvalidPartitionsError, TopicAlreadyExistsError
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subsidy_shared import inbox
from subsidy_shared.events import Event, UnknownEventType, decode_event
from subsidy_shared.membership import Membership, leave_group
from subsidy_shared.metrics import CONSUMER_LAG, CONSUMER_RESTARTS, EVENTS_CONSUMED, EVENTS_DEAD_LETTERED
from subsidy_shared.settings import ServiceSettings
from subsidy_shared.topics import TOPICS, TopicSpec, dead_letter_topic
from subsidy_shared.transient import transient

log = structlog.get_logger(__name__)

Handler = Callable[[Any, AsyncSession], Awaitable[None]]


def make_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        client_id=settings.service_name,
    )


async def ensure_topics(settings: ServiceSettings) -> None:
    """Create every topic and its DLQ if missing, with the settings' partitions, replication and min ISR.

    A topic with fewer partitions than the setting is widened (new keys may then land on new partitions;
    a person's events already queued keep their order on the old one).
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        configs = {settings.topic(spec.name): topic_config(settings, spec) for spec in TOPICS}
        configs |= {settings.topic(spec.dlq): topic_config(settings) for spec in TOPICS}
        names = list(configs)
        for name in names:
            if name in existing:
                continue
            partitions, replicas = settings.topic_partitions, settings.topic_replication_factor
            topic = NewTopic(name, partitions, replicas, topic_configs=configs[name])
            with contextlib.suppress(TopicAlreadyExistsError):  # another service created it first
                await admin.create_topics([topic])
        await _widen(admin, [n for n in names if n in existing], settings.topic_partitions)
    finally:
        await admin.close()


def topic_config(settings: ServiceSettings, spec: TopicSpec | None = None) -> dict[str, str]:
    """The broker-side config of a topic; a DLQ (no spec) is never compacted: every letter is kept."""
    return {"min.insync.replicas": str(settings.topic_min_insync_replicas), **(spec.config if spec else {})}


async def _widen(admin: AIOKafkaAdminClient, names: list[str], partitions: int) -> None:
    if not names:
        return
    described = await admin.describe_topics(names)
    narrow = {d["topic"]: NewPartitions(partitions) for d in described if len(d["partitions"]) < partitions}
    if narrow:
        log.warning("topics.widened", topics=sorted(narrow), partitions=partitions)
        with contextlib.suppress(InvalidPartitionsError):  # another service widened it first
            await admin.create_partitions(narrow)


async def topic_partitions(bootstrap: str, names: Iterable[str]) -> list[TopicPartition]:
    """The partitions of those of `names` that exist (a consumer's metadata may not know them yet)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [name for name in names if name in existing]
        if not wanted:
            return []
        described = await admin.describe_topics(wanted)
        return sorted(TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"])
    finally:
        await admin.close()


async def behind(consumer: AIOKafkaConsumer, ends: Mapping[TopicPartition, int]) -> bool:
    """Whether the consumer has yet to reach `ends` on any partition."""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


async def read_from_beginning(bootstrap: str, names: Iterable[str]) -> list[ConsumerRecord[bytes, bytes]]:
    """Every message now on the topics, read without a consumer group (ops tools and tests)."""
    tps = await topic_partitions(bootstrap, names)
    if not tps:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while await behind(consumer, ends):
            for batch in (await consumer.getmany(timeout_ms=1000)).values():
                records += batch
        return records
    finally:
        await consumer.stop()


async def delete_topics(bootstrap: str, names: Iterable[str]) -> None:
    tps = await topic_partitions(bootstrap, names)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if tps:
            await admin.delete_topics(sorted({tp.topic for tp in tps}))
    finally:
        await admin.close()


def describe_error(exc: BaseException) -> str:
    """An error text safe for headers and logs: pydantic errors without the input values."""
    if isinstance(exc, ValidationError):
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_input=False)]
        return f"{exc.title}: " + "; ".join(parts)[:900]
    if isinstance(exc, DBAPIError):
        return _database_error(exc)
    return f"{type(exc).__name__}: {exc}"[:900]


def _database_error(exc: DBAPIError) -> str:
    """The driver's text quotes the row (`Key (id_number)=(…)`): only its kind, SQLSTATE and constraint."""
    driver = (
        exc.orig.__cause__ if exc.orig is not None else None
    ) or exc.orig  # asyncpg's own error sits behind SQLAlchemy's adapter
    state = getattr(exc.orig, "sqlstate", None)
    constraint = getattr(driver, "constraint_name", None)
    parts = [type(driver).__name__]
    parts += [f"sqlstate {state}"] if state else []
    parts += [f"constraint {constraint}"] if constraint else []
    return ", ".join(parts)


async def _stop(consumer: AIOKafkaConsumer) -> None:
    """Stop the client; if it hangs in its own coordination task and the stop is cancelled, still close its
    connections (aiokafka closes them only at the end of a stop that completes)."""
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        await consumer._fetcher.close()  # no public way to close a half-stopped client
        await consumer._client.close()
        raise


class ConsumerRunner:
    """Consumes topics for one service: decode, apply in a transaction with the inbox, then commit.

    A message that cannot be decoded goes straight to `<topic>.dlq`; a handler error is retried with
    backoff and dead-lettered after `consumer_max_attempts`, so one bad message never stops the flow.
    """

    def __init__(
        self,
        settings: ServiceSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        handlers: Mapping[str, Handler],
        topics: list[str],
        *,
        group: str | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.producer = producer
        self.handlers = dict(handlers)
        self.topics = [settings.topic(t) for t in topics]
        self.group = group or settings.consumer_group()
        self.membership = Membership(settings, self.group, self.topics)
        self.last_poll = time.monotonic()
        self._stuck = False  # a stalled run that would not stop when cancelled
        self._consumer: AIOKafkaConsumer | None = None

    def stalled(self) -> bool:
        """Its poll loop has not come back, or it has held no settled assignment, for the stall limit."""
        limit = self.settings.consumer_stall_seconds
        return time.monotonic() - self.last_poll > limit or self.membership.unsettled_for() > limit

    def wedged(self) -> bool:
        """Stalled beyond what restarting the consumer in-process cures: liveness fails, the process is replaced."""
        return self._stuck or time.monotonic() - self.last_poll > 3 * self.settings.consumer_stall_seconds

    def ready(self) -> bool:
        return self.membership.joined and not self.stalled()

    def _consumer_options(self) -> dict[str, Any]:
        session = self.settings.consumer_session_timeout_ms
        return {
            "bootstrap_servers": self.settings.kafka_bootstrap,
            "group_id": self.group,
            "group_instance_id": self.membership.instance_id,
            "client_id": self.membership.instance_id or self.group,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "max_poll_records": 500,
            "session_timeout_ms": session,
            # The other members learn of a rebalance at their next heartbeat: often, so a handover is quick.
            "heartbeat_interval_ms": 1000,
        }

    async def run(self) -> None:
        self.membership.reset()
        consumer = AIOKafkaConsumer(**self._consumer_options())
        consumer.subscribe(self.topics, listener=self.membership)
        await consumer.start()
        self._consumer = consumer
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=500)
                self.last_poll = time.monotonic()
                for tp, messages in batch.items():
                    await self._apply_partition(consumer, tp, messages)
        finally:
            self._consumer = None
            await leave_group(consumer, self.membership)
            await _stop(consumer)

    async def _apply_partition(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, messages: list[ConsumerRecord[bytes, bytes]]
    ) -> None:
        """Apply a partition's messages and commit past them. A partition a rebalance took away meanwhile is
        left to its new owner: the rest of its batch is not applied (two replicas would race on one person)
        and the commit is refused; what was applied is absorbed by the inbox when redelivered."""
        done: ConsumerRecord[bytes, bytes] | None = None
        for message in messages:
            if tp not in consumer.assignment():
                break
            await self.process(message)
            done = message
            self.last_poll = time.monotonic()
        if done is None:
            return
        try:
            await consumer.commit({tp: done.offset + 1})
        except (CommitFailedError, IllegalStateError) as exc:
            log.info("consumer.commit_after_rebalance_skipped", group=self.group, error=type(exc).__name__)
            return
        self._report_lag(consumer, tp, done.offset)

    async def supervise(self) -> None:
        """Run forever: restart after an error, and after a stall (aiokafka can hang on rebalance)."""
        while True:
            task = asyncio.create_task(self.run())
            self.last_poll = time.monotonic()
            try:
                while not task.done():
                    await asyncio.wait({task}, timeout=min(5.0, self.settings.consumer_stall_seconds))
                    if not task.done() and self.stalled():
                        log.warning("consumer.stalled_restarting", group=self.group)
                        CONSUMER_RESTARTS.labels(self.settings.service_name, "stalled").inc()
                        await self._cancel(task)
                if task.done() and not task.cancelled() and task.exception() is not None:
                    CONSUMER_RESTARTS.labels(self.settings.service_name, "crashed").inc()
                    log.error("consumer.crashed", group=self.group, error=describe_error(task.exception()))  # type: ignore[arg-type]
            except asyncio.CancelledError:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                raise
            await asyncio.sleep(1.0)

    async def _cancel(self, task: asyncio.Task[None]) -> None:
        """Stop a stalled run. A second cancel reaches into the client's own hung task (its stop awaits it)."""
        for _ in range(2):
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=10)
            if done:
                return
        self._stuck = True  # only a new process helps now, which liveness asks for
        log.error("consumer.wedged", group=self.group)
        await asyncio.gather(task, return_exceptions=True)
        self._stuck = False

    async def process(self, message: ConsumerRecord[bytes, bytes]) -> None:
        try:
            event = decode_event(message.value)
        except UnknownEventType as exc:
            log.info("consumer.unknown_type_skipped", type=str(exc), topic=message.topic)
            return
        except (ValueError, TypeError) as exc:
            await self.dead_letter(message, exc, attempts=1)
            return
        handler = self.handlers.get(event.type)
        if handler is None:
            return
        await self._apply_with_retries(message, event, handler)

    async def _apply_with_retries(self, message: ConsumerRecord[bytes, bytes], event: Event, handler: Handler) -> None:
        attempts = self.settings.consumer_max_attempts
        bound = log.bind(event_id=str(event.id), type=event.type, correlation_id=event.subject)
        attempt, waits = 1, 0
        while True:
            try:
                async with self.sessionmaker() as session, session.begin():
                    if not await inbox.claim(session, self.group, event):
                        EVENTS_CONSUMED.labels(self.settings.service_name, event.type, "duplicate").inc()
                        return
                    await handler(event, session)
                EVENTS_CONSUMED.labels(self.settings.service_name, event.type, "applied").inc()
                return
            except Exception as exc:
                # The database is away: wait for it however long, and lose nothing. An error that only looks
                # transient while the database answers counts as an attempt, so it cannot block a partition.
                if transient(exc) and not await self._database_answers():
                    waits += 1
                    bound.warning("consumer.waiting_for_database", waits=waits, error=describe_error(exc))
                    await asyncio.sleep(min(self.settings.consumer_backoff_seconds * 2 ** min(waits, 5), 5.0))
                    self.last_poll = time.monotonic()  # waiting, not stalled
                    continue
                bound.warning("consumer.handler_failed", attempt=attempt, error=describe_error(exc))
                if attempt == attempts:
                    await self.dead_letter(message, exc, attempts=attempt)
                    return
                await asyncio.sleep(self.settings.consumer_backoff_seconds * 2 ** (attempt - 1))
                attempt += 1

    async def _database_answers(self) -> bool:
        try:
            async with self.sessionmaker() as session:
                await asyncio.wait_for(session.execute(sa.text("SELECT 1")), timeout=2)
            return True
        except Exception:
            return False

    async def dead_letter(self, message: ConsumerRecord[bytes, bytes], exc: BaseException, attempts: int) -> None:
        headers = [
            *(message.headers or ()),
            ("dlq.error", describe_error(exc).encode()),
            ("dlq.original_topic", message.topic.encode()),
            ("dlq.partition", str(message.partition).encode()),
            ("dlq.offset", str(message.offset).encode()),
            ("dlq.attempts", str(attempts).encode()),
            ("dlq.consumer", self.group.encode()),
        ]
        await self.producer.send_and_wait(
            dead_letter_topic(message.topic), value=message.value, key=message.key, headers=headers
        )
        EVENTS_DEAD_LETTERED.labels(self.settings.service_name, message.topic).inc()
        EVENTS_CONSUMED.labels(self.settings.service_name, "unknown", "dead_lettered").inc()
        log.error("consumer.dead_lettered", topic=message.topic, offset=message.offset, attempts=attempts)

    def _report_lag(self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
        highwater = consumer.highwater(tp)
        if highwater is not None:
            CONSUMER_LAG.labels(self.settings.service_name, tp.topic).set(max(highwater - offset - 1, 0))
