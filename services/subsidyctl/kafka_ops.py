"""Operator views of the bus: topics, lag, dead letters and their replay."""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from subsidy_shared.bus import behind, read_from_beginning, topic_partitions
from subsidy_shared.settings import ServiceSettings
from subsidy_shared.topics import all_topic_names


@dataclass(frozen=True, slots=True)
class TopicRow:
    topic: str
    partitions: int
    end_offset_total: int
    lag_by_group: dict[str, int]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    headers: dict[str, str]
    key: str | None
    size: int


async def topic_report(settings: ServiceSettings) -> list[TopicRow]:
    names = all_topic_names(settings.topic_prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    await consumer.start()
    try:
        tps = await topic_partitions(settings.kafka_bootstrap, names)
        partitions: dict[str, list[int]] = {}
        for tp in tps:
            partitions.setdefault(tp.topic, []).append(tp.partition)
        ends = await consumer.end_offsets(tps) if tps else {}
        committed = await _group_offsets(admin, settings.topic_prefix)
        rows = []
        for topic, parts in partitions.items():
            lag: dict[str, int] = {}
            for group, offsets in committed.items():
                mine = {tp: o for tp, o in offsets.items() if tp.topic == topic}
                if mine:
                    lag[group] = sum(ends[tp] - o for tp, o in mine.items())
            total = sum(ends[TopicPartition(topic, p)] for p in parts)
            rows.append(TopicRow(topic, len(parts), total, lag))
        return rows
    finally:
        await consumer.stop()
        await admin.close()


async def _group_offsets(admin: AIOKafkaAdminClient, prefix: str) -> dict[str, dict[TopicPartition, int]]:
    groups = [g[0] for g in await admin.list_consumer_groups() if g[0].startswith(prefix)]
    result: dict[str, dict[TopicPartition, int]] = {}
    for group in groups:
        offsets = await admin.list_consumer_group_offsets(group)
        result[group] = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
    return result


def _dead_letter_topics(settings: ServiceSettings, topic: str | None) -> list[str]:
    dlqs = [n for n in all_topic_names(settings.topic_prefix) if n.endswith(".dlq")]
    if topic is None:
        return dlqs
    return [d for d in dlqs if d in (topic, settings.topic(topic), settings.topic(topic) + ".dlq")]


async def read_dead_letters(settings: ServiceSettings, topic: str | None = None) -> list[DeadLetter]:
    """Every message now in the DLQ topics (or one's), without its payload: it holds personal data."""
    records = await read_from_beginning(settings.kafka_bootstrap, _dead_letter_topics(settings, topic))
    return [
        DeadLetter(
            r.topic,
            r.partition,
            r.offset,
            {k: v.decode(errors="replace") for k, v in r.headers},
            r.key.decode(errors="replace") if r.key else None,
            len(r.value or b""),
        )
        for r in records
    ]


async def replay_dead_letters(settings: ServiceSettings, topic: str | None = None) -> int:
    """Send dead letters not yet replayed back to their original topic, once each.

    Progress is kept as the committed offset of a replay consumer group; the consumers' inboxes make
    replaying an event that was in fact applied harmless.
    """
    tps = await topic_partitions(settings.kafka_bootstrap, _dead_letter_topics(settings, topic))
    if not tps:
        return 0
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=settings.topic("subsidyctl.dlq-replay"),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    try:
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        replayed = 0
        while await behind(consumer, ends):
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:
                    headers = dict(record.headers)
                    original = headers.get("dlq.original_topic", record.topic.removesuffix(".dlq").encode()).decode()
                    kept = [(k, v) for k, v in record.headers if not k.startswith("dlq.")]
                    kept.append(("dlq.replayed_from", f"{record.topic}:{record.partition}:{record.offset}".encode()))
                    await producer.send_and_wait(original, value=record.value, key=record.key, headers=kept)
                    replayed += 1
                await consumer.commit({tp: records[-1].offset + 1})
        return replayed
    finally:
        await producer.stop()
        await consumer.stop()
