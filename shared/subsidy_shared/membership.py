"""A consumer's place in its group: what it holds, whether it has joined, and leaving the group cleanly.

Readiness and metrics read `Membership`; `leave_group` lets a static member (one with a replica id) give
its partitions back on shutdown, which aiokafka only does for dynamic members.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Collection, Iterable

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import Array, Int16, Int32, Schema, String

from subsidy_shared.metrics import CONSUMER_ASSIGNED_PARTITIONS
from subsidy_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)


class Membership(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka's listener is untyped
    """What one consumer holds, kept current by the group's rebalance callbacks."""

    def __init__(self, settings: ServiceSettings, group: str, topics: Collection[str]) -> None:
        self._settings = settings
        self.group = group
        self.topics = tuple(topics)
        self.joined = False
        self.partitions: frozenset[TopicPartition] = frozenset()
        # Since when the consumer has held no settled assignment (start-up or a rebalance in progress).
        self.unsettled_since: float | None = time.monotonic()

    @property
    def instance_id(self) -> str | None:
        """The static group instance id: stable across restarts of the same replica."""
        replica = self._settings.replica_id
        return f"{self.group}-{replica}" if replica is not None else None

    def unsettled_for(self) -> float:
        return 0.0 if self.unsettled_since is None else time.monotonic() - self.unsettled_since

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self.partitions = self.partitions - set(revoked)
        self.unsettled_since = self.unsettled_since or time.monotonic()
        self._report()

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        self.partitions = frozenset(assigned)
        await self._maybe_stall()
        # An empty assignment counts: with more replicas than partitions the group has none for this one.
        self.joined = True
        self.unsettled_since = None
        self._report()
        log.info("consumer.assigned", group=self.group, partitions=self.describe())

    def describe(self) -> list[str]:
        return [f"{tp.topic}:{tp.partition}" for tp in sorted(self.partitions)]

    def reset(self) -> None:
        """A new consumer takes over: nothing is held until the group says so."""
        self.joined = False
        self.partitions = frozenset()
        self.unsettled_since = time.monotonic()
        self._report()

    def _report(self) -> None:
        held: dict[str, int] = dict.fromkeys(self.topics, 0)
        for tp in self.partitions:
            held[tp.topic] = held.get(tp.topic, 0) + 1
        replica = self._settings.replica_id or ""
        for topic, count in held.items():
            CONSUMER_ASSIGNED_PARTITIONS.labels(self._settings.service_name, replica, topic).set(count)

    async def _maybe_stall(self) -> None:
        """The test-only fault: hang here once, as aiokafka can after a rebalance (#1154)."""
        marker = self._settings.fault_stall_on_assign
        if self._settings.env != "test" or not marker:
            return
        try:
            os.unlink(marker)  # one-shot across processes and restarts: whoever removes it stalls
        except FileNotFoundError:
            return
        log.warning("consumer.fault_injected_stall", group=self.group)
        await asyncio.Event().wait()


# LeaveGroup v3 (KIP-345) names members by their group instance id; aiokafka ships only v0–v1.
_MEMBER = (("member_id", String("utf-8")), ("group_instance_id", String("utf-8")))


class _LeaveGroupResponseV3(Response):  # type: ignore[misc]  # aiokafka.protocol is untyped
    API_KEY = 13
    API_VERSION = 3
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("members", Array(*_MEMBER, ("error_code", Int16))),
    )


class _LeaveGroupRequestV3(RequestStruct):  # type: ignore[misc]
    API_KEY = 13
    API_VERSION = 3
    RESPONSE_TYPE = _LeaveGroupResponseV3
    SCHEMA = Schema(
        ("group", String("utf-8")),
        ("members", Array(*_MEMBER)),
    )


class _StaticLeave(Request[_LeaveGroupRequestV3]):  # type: ignore[misc]
    API_KEY = 13

    def __init__(self, group: str, member_id: str, instance_id: str) -> None:
        self._group = group
        self._member = (member_id, instance_id)

    def build(self, request_struct_class: type[_LeaveGroupRequestV3]) -> _LeaveGroupRequestV3:
        return request_struct_class(self._group, [self._member])


async def leave_group(consumer: AIOKafkaConsumer, membership: Membership) -> None:
    """Give the partitions back now, so the group rebalances without waiting for the session to time out.

    Best effort: on failure the session times out as it would after a crash.
    """
    instance_id = membership.instance_id
    coordinator = getattr(consumer, "_coordinator", None)
    if instance_id is None or coordinator is None or coordinator.coordinator_id is None:
        return  # a dynamic member leaves in aiokafka's own stop()
    try:
        request = _StaticLeave(membership.group, coordinator.member_id, instance_id)
        response = await asyncio.wait_for(coordinator._send_req(request), timeout=5)
        log.info("consumer.left_group", group=membership.group, error_code=response.error_code)
    except Exception as exc:
        log.warning("consumer.leave_group_failed", group=membership.group, error=type(exc).__name__)
