"""Fixtures of the fault suite: its own PostgreSQL and brokers, and a replicated system over them per test.

Run with `SUBSIDY_FAULT_SUITE=1 pytest -q -s tests/faults` (`make test-faults`); a plain `pytest` skips this
folder (tests/conftest.py). Whatever a test kills or freezes is brought back in the fixtures' `finally`, so a
failing test leaves the next one a whole system. SUBSIDY_FAULT_KEEP_INFRA=1 leaves the private server and
brokers running after the session (faster reruns while working on the suite).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import running_system
from tests.faults.checks import REPORTED
from tests.faults.infra import KafkaBrokers, PrivatePostgres
from tests.faults.system import FaultSystem

KEEP_INFRA = os.environ.get("SUBSIDY_FAULT_KEEP_INFRA") == "1"
# Production's retry policy (5 attempts, 0.2 s doubling), not tests/e2e's quick 3 × 0.1 s: a fault test
# asks whether the defaults ride out the fault.
PRODUCTION_RETRIES = {"SUBSIDY_CONSUMER_MAX_ATTEMPTS": "5", "SUBSIDY_CONSUMER_BACKOFF_SECONDS": "0.2"}


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres().ensure()
    yield pg
    if not KEEP_INFRA:
        pg.stop()


@pytest.fixture(scope="session")
def single_broker() -> Iterator[KafkaBrokers]:
    kafka = KafkaBrokers.single().start()
    yield kafka
    if not KEEP_INFRA:
        kafka.stop()


@pytest.fixture(scope="module")
def broker_cluster() -> Iterator[KafkaBrokers]:
    """The 3-node cluster, for the module that asks for it only: three JVMs are much for two cores."""
    kafka = KafkaBrokers.cluster().start()
    yield kafka
    if not KEEP_INFRA:
        kafka.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
    async with httpx.AsyncClient(timeout=15, limits=limits) as client:
        yield client


SystemFactory = Callable[..., contextlib.AbstractAsyncContextManager[FaultSystem]]


@pytest.fixture
def fault_system(private_pg: PrivatePostgres) -> SystemFactory:
    """`async with fault_system(kafka, replicas=2, env={...}) as fs:` — a fresh system for one test.

    On the way out, whatever happened: the brokers continued and restarted, PostgreSQL up, then every process
    of the system stopped (a killed one is already gone) and its topics deleted."""

    @contextlib.asynccontextmanager
    async def start(
        kafka: KafkaBrokers, *, replicas: int = 2, env: Mapping[str, str] | None = None, **kwargs: Any
    ) -> AsyncIterator[FaultSystem]:
        overrides = {**PRODUCTION_RETRIES, **(env or {})}
        if kafka.brokers > 1:
            overrides = {"SUBSIDY_TOPIC_REPLICATION_FACTOR": "3", "SUBSIDY_TOPIC_MIN_INSYNC_REPLICAS": "2"} | overrides
        started = time.monotonic()
        async with running_system(
            uuid.uuid4().hex[:8],
            replicas,
            env_overrides=overrides,
            kafka_bootstrap=kafka.bootstrap,
            database_server=private_pg.server_url,
            label="faults",
            **kwargs,
        ) as system:
            fs = FaultSystem(system, kafka)
            fs.started_in = time.monotonic() - started
            try:
                yield fs
            finally:  # before the services stop: they leave their groups through a broker that answers
                await asyncio.to_thread(heal, kafka, private_pg)

    return start


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Every test's figures once more, together, after the services' logs."""
    if REPORTED:
        terminalreporter.section("fault suite figures")
        for figures in REPORTED:
            for line in figures.lines():
                terminalreporter.write_line(line)


def heal(kafka: KafkaBrokers, pg: PrivatePostgres) -> None:
    """Undo any fault: frozen brokers continued, dead ones restarted, the server running."""
    kafka.cont_all()
    if not kafka.all_running():
        kafka.start()
    pg.ensure()
