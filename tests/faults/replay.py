"""What each service consumes (from its own subscriptions), offsets reset, slices re-produced, and a fingerprint
of every table of the five databases, so a replay can be shown to change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from functools import cache
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata
from subsidy_shared.app import Subscriptions
from subsidy_shared.bus import topic_partitions
from subsidy_shared.events import decode_event
from subsidy_shared.topics import TOPICS

from tests.e2e.conftest import eventually
from tests.faults.system import SERVICE_NAMES, FaultSystem, rows


@cache
def subscriptions(service: str) -> Subscriptions:
    if service == "routing":
        from routing_service.consumers import subscriptions as routing
        from routing_service.settings import Settings

        return routing(Settings())
    module = __import__(f"{service}_service.consumers", fromlist=["SUBSCRIPTIONS"])
    found: Subscriptions = module.SUBSCRIPTIONS
    return found


def subscribed_topics(service: str) -> list[str]:
    return list(subscriptions(service).topics)


def handled_types(service: str) -> set[str]:
    return set(subscriptions(service).handlers)


def handlers_of(topic: str, type_: str) -> list[str]:
    """The services whose consumer applies (and so records in its inbox) an event of this type on this topic."""
    return [s for s in SERVICE_NAMES if topic in subscribed_topics(s) and type_ in handled_types(s)]


async def log_of(fs: FaultSystem, topics: Iterable[str]) -> list[tuple[str, Any]]:
    """(logical topic, record) of every message now on `topics`."""
    found = []
    for topic in topics:
        found += [(topic, record) for record in await fs.read_topic(topic)]
    return found


async def expected_duplicates(fs: FaultSystem, service: str) -> int:
    """A full replay of `service`'s topics: every message of a type it handles is an inbox conflict."""
    count = 0
    for _, record in await log_of(fs, subscribed_topics(service)):
        if decode_event(record.value).type in handled_types(service):
            count += 1
    return count


async def reproduce_slice(fs: FaultSystem, per_topic: int) -> tuple[int, int]:
    """Send the first `per_topic` messages of each topic again, byte for byte (same key, same event id);
    returns (messages sent, inbox conflicts they must cause)."""
    messages = []
    conflicts = 0
    for spec in TOPICS:
        for record in (await fs.read_topic(spec.name))[:per_topic]:
            messages.append((fs.topic(spec.name), record.key, record.value))
            conflicts += len(handlers_of(spec.name, decode_event(record.value).type))
    await fs.produce_raw(messages)
    return len(messages), conflicts


async def consumers_caught_up(fs: FaultSystem, within: float = 60.0) -> None:
    """Every consumer group has committed up to the end of every partition it reads."""
    admin = AIOKafkaAdminClient(bootstrap_servers=fs.bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=fs.bootstrap, enable_auto_commit=False)
    await admin.start()
    await probe.start()
    try:

        async def behind() -> bool:
            lag: dict[str, int] = {}
            for service in SERVICE_NAMES:
                committed = await admin.list_consumer_group_offsets(fs.group(service))
                topics = [fs.topic(t) for t in subscribed_topics(service)]
                tps = await topic_partitions(fs.bootstrap, topics)
                ends = await probe.end_offsets(tps)
                lag[service] = sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())
            return not any(lag.values())

        await eventually(behind, within=within, interval=0.5)
    finally:
        await probe.stop()
        await admin.close()


async def reset_to_earliest(fs: FaultSystem, service: str, within: float = 60.0) -> int:
    """Commit the beginning of every partition for `service`'s group (its replicas stopped: the group is empty,
    which a commit from outside the group needs); returns how many partitions were rewound."""
    group = fs.group(service)
    topics = [fs.topic(t) for t in subscribed_topics(service)]
    admin = AIOKafkaAdminClient(bootstrap_servers=fs.bootstrap)
    await admin.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            (described,) = await admin.describe_consumer_groups([group])
            state = _group_state(described)
            if state in ("Empty", "Dead") or loop.time() > deadline:
                break
            await asyncio.sleep(0.5)
        assert state in ("Empty", "Dead"), f"group {group} still {state}"
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=fs.bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await topic_partitions(fs.bootstrap, topics)
        consumer.assign(tps)
        beginnings = await consumer.beginning_offsets(tps)
        await consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in beginnings.items()})
        return len(tps)
    finally:
        await consumer.stop()


def _group_state(described: Any) -> str:
    """describe_consumer_groups' answer differs by protocol version: a response object or a dict."""
    groups = described.to_object()["groups"] if hasattr(described, "to_object") else described["groups"]
    group = groups[0]
    return str(group.get("group_state", group.get("state")))


async def fingerprint(fs: FaultSystem) -> dict[str, tuple[int, str]]:
    """`db.table` → (rows, md5 of all rows in order), for every table of the five databases."""
    found: dict[str, tuple[int, str]] = {}
    for service in SERVICE_NAMES:
        db = fs.databases[service]
        tables = await rows(
            db,
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version' ORDER BY 1",
        )
        for table in (t["tablename"] for t in tables):
            got = await rows(
                db,
                f"SELECT count(*) AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h "
                f'FROM "{table}" t',
            )
            found[f"{service}.{table}"] = (int(got[0]["n"]), str(got[0]["h"]))
    return found
