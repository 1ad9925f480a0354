"""The five services and the workbench as real processes over real Kafka and PostgreSQL, isolated by a topic prefix.

One system serves the whole test session: tests/browser re-exports these fixtures, and whichever package asks
first starts it; the last one done stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from subsidy_shared.bus import delete_topics, read_from_beginning
from subsidy_shared.events import Event, decode_event
from subsidy_shared.settings import ServiceSettings
from subsidy_shared.topics import all_topic_names
from subsidyctl.catalog import SERVICES, WORKBENCH, workbench_env
from subsidyctl.supervisor import ServiceProcess, wait_ready

from tests.conftest import DB_PREFIX, KAFKA, ServiceDatabase, fresh_migrated_database

# Ports 18000 (workbench), 18001–18005; another base keeps two checkouts' e2e runs on one machine apart.
PORT_BASE = int(os.environ.get("SUBSIDY_E2E_PORT_BASE", "18000"))


class System:
    """Handles on the running system for a test: the five services' processes, the workbench, databases, the broker."""

    def __init__(
        self,
        prefix: str,
        processes: dict[str, ServiceProcess],
        databases: dict[str, ServiceDatabase],
        workbench: ServiceProcess | None = None,
    ) -> None:
        self.prefix = prefix
        self.processes = processes  # the five services (each with /readyz, /docs, /metrics)
        self.databases = databases
        self.workbench = workbench
        self.settings = ServiceSettings(kafka_bootstrap=KAFKA, topic_prefix=prefix)

    def url(self, service: str) -> str:
        """Base URL of a service, or of the workbench (`url("workbench")`)."""
        if service == WORKBENCH.name and self.workbench is not None:
            return self.workbench.url
        return self.processes[service].url

    def topic(self, name: str) -> str:
        return self.prefix + name

    async def produce(self, topic: str, value: bytes, key: bytes | None = None, partition: int | None = None) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            await producer.send_and_wait(self.topic(topic), value=value, key=key, partition=partition)
        finally:
            await producer.stop()

    async def read_topic(self, topic: str) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
        """Every message now on a topic: (value, headers)."""
        records = await read_from_beginning(KAFKA, [self.topic(topic)])
        return [(r.value, list(r.headers)) for r in records]

    async def events(self, topic: str, type_: str) -> list[Event]:
        found = []
        for value, _ in await self.read_topic(topic):
            try:
                event = decode_event(value)
            except ValueError:
                continue
            if event.type == type_:
                found.append(event)
        return found


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 60.0, interval: float = 0.3) -> Any:
    """Poll `check` until it returns something truthy; fail with its last value after `within` seconds."""
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {within}s (last value: {last!r})")


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:8]


@contextlib.asynccontextmanager
async def _running_system(run_id: str) -> AsyncIterator[System]:
    prefix = f"e2e{run_id}."
    databases: dict[str, ServiceDatabase] = {}
    env = {
        "SUBSIDY_ENV": "test",
        "SUBSIDY_TOPIC_PREFIX": prefix,
        "SUBSIDY_KAFKA_BOOTSTRAP": KAFKA,
        "SUBSIDY_CONSUMER_MAX_ATTEMPTS": "3",
        "SUBSIDY_CONSUMER_BACKOFF_SECONDS": "0.1",
        "SUBSIDY_LOG_LEVEL": "WARNING",
    }
    for service in SERVICES:
        url = await fresh_migrated_database(service, f"{DB_PREFIX}e2e_{service.name}")
        databases[service.name] = ServiceDatabase(url)
        env[service.database_env] = url
    processes = {s.name: ServiceProcess(s, env, port=PORT_BASE + s.port % 100) for s in SERVICES}
    urls = workbench_env({name: p.url for name, p in processes.items()})
    workbench = ServiceProcess(WORKBENCH, {**env, **urls}, port=PORT_BASE + WORKBENCH.port % 100)
    everything = [*processes.values(), workbench]
    for p in everything:
        p.start()
    try:
        await asyncio.to_thread(wait_ready, everything, 90.0)
        yield System(prefix, processes, databases, workbench)
    finally:
        for p in everything:
            p.stop()
        for db in databases.values():
            await db.engine.dispose()
        await delete_topics(KAFKA, all_topic_names(prefix))


class _Shared:
    """The session's one system and how many session fixtures (tests/e2e, tests/browser) hold it."""

    system: System | None = None
    holders = 0
    stack: contextlib.AsyncExitStack | None = None
    lock = asyncio.Lock()


@pytest.fixture(scope="session")
async def system(run_id: str) -> AsyncIterator[System]:
    async with _Shared.lock:
        if _Shared.system is None:
            _Shared.stack = contextlib.AsyncExitStack()
            _Shared.system = await _Shared.stack.enter_async_context(_running_system(run_id))
        _Shared.holders += 1
    try:
        yield _Shared.system
    finally:
        async with _Shared.lock:
            _Shared.holders -= 1
            if _Shared.holders == 0 and _Shared.stack is not None:
                stack, _Shared.stack, _Shared.system = _Shared.stack, None, None
                await stack.aclose()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client
