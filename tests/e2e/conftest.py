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
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from subsidy_shared.bus import delete_topics, read_from_beginning
from subsidy_shared.events import Event, decode_event
from subsidy_shared.settings import ServiceSettings
from subsidy_shared.topics import all_topic_names
from subsidyctl.catalog import SERVICES, WORKBENCH, workbench_env
from subsidyctl.supervisor import ServiceProcess, replicated, wait_ready

from tests.conftest import DB_PREFIX, SERVER, ServiceDatabase, fresh_migrated_database
from tests.conftest import KAFKA as KAFKA  # re-exported: the fault suite's default broker

# Ports 18000 (workbench), 18001–18005 (replica k: +100·k); another base keeps two checkouts' e2e runs apart.
PORT_BASE = int(os.environ.get("SUBSIDY_E2E_PORT_BASE", "18000"))


class System:
    """Handles on the running system for a test: the five services' processes, the workbench, databases, the broker."""

    def __init__(
        self,
        prefix: str,
        replicas: dict[str, list[ServiceProcess]],
        databases: dict[str, ServiceDatabase],
        workbench: ServiceProcess | None = None,
        kafka: str = KAFKA,
    ) -> None:
        self.prefix = prefix
        self.replicas = replicas  # every process of each service, replica 0 first
        self.processes = {name: ps[0] for name, ps in replicas.items()}  # replica 0 of the five services
        self.databases = databases
        self.workbench = workbench
        self.kafka = kafka
        self.settings = ServiceSettings(kafka_bootstrap=kafka, topic_prefix=prefix)

    def url(self, service: str) -> str:
        """Base URL of a service (its replica 0), or of the workbench (`url("workbench")`)."""
        if service == WORKBENCH.name and self.workbench is not None:
            return self.workbench.url
        return self.processes[service].url

    def urls(self, service: str) -> list[str]:
        """Base URLs of every replica of a service."""
        return [p.url for p in self.replicas[service]]

    def topic(self, name: str) -> str:
        return self.prefix + name

    async def produce(self, topic: str, value: bytes, key: bytes | None = None, partition: int | None = None) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.kafka, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            await producer.send_and_wait(self.topic(topic), value=value, key=key, partition=partition)
        finally:
            await producer.stop()

    async def read_topic(self, topic: str) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
        """Every message now on a topic: (value, headers)."""
        records = await read_from_beginning(self.kafka, [self.topic(topic)])
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
async def running_system(
    run_id: str,
    replicas: int = 1,
    *,
    env_overrides: Mapping[str, str] | None = None,
    kafka_bootstrap: str | None = None,
    database_server: str | None = None,
    port_base: int = PORT_BASE,
    label: str = "e2e",
) -> AsyncIterator[System]:
    """The five services (`replicas` processes each) and the workbench, on fresh databases and topics.

    Databases are `<DB_PREFIX><label>_<service>` on `database_server` (the test server by default), topics
    `e2e<run_id>.*` on `kafka_bootstrap`; `env_overrides` go over every process's environment last. A second
    system beside the session's needs its own `port_base` and `label` (or another server).
    """
    prefix = f"e2e{run_id}."
    kafka = kafka_bootstrap or KAFKA
    env = {
        "SUBSIDY_ENV": "test",
        "SUBSIDY_TOPIC_PREFIX": prefix,
        "SUBSIDY_KAFKA_BOOTSTRAP": kafka,
        "SUBSIDY_CONSUMER_MAX_ATTEMPTS": "3",
        "SUBSIDY_CONSUMER_BACKOFF_SECONDS": "0.1",
        "SUBSIDY_LOG_LEVEL": "WARNING",
    }
    databases: dict[str, ServiceDatabase] = {}
    for service in SERVICES:  # one after the other: Alembic's context is process-wide
        url = await fresh_migrated_database(service, f"{DB_PREFIX}{label}_{service.name}", database_server or SERVER)
        databases[service.name] = ServiceDatabase(url)
        env[service.database_env] = url
    env |= env_overrides or {}
    ports = {s.name: port_base + s.port % 100 for s in SERVICES}
    processes = replicated(env, SERVICES, replicas, ports)
    by_service = {s.name: [p for p in processes if p.info is s] for s in SERVICES}
    first = workbench_env({name: ps[0].url for name, ps in by_service.items()})
    workbench = ServiceProcess(WORKBENCH, {**env, **first}, port=port_base + WORKBENCH.port % 100)
    everything = [*processes, workbench]
    for p in everything:
        p.start()
    try:
        await asyncio.to_thread(wait_ready, everything, 90.0 + 30.0 * (replicas - 1))
        yield System(prefix, by_service, databases, workbench, kafka)
    finally:
        for p in everything:
            p.stop()
        for db in databases.values():
            await db.engine.dispose()
        await delete_topics(kafka, all_topic_names(prefix))


_running_system = running_system  # the name it had before it took replicas


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
            _Shared.system = await _Shared.stack.enter_async_context(running_system(run_id))
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
