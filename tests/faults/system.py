"""The system under fault: every service as N real processes over the fault suite's own broker and database
(tests/e2e's `running_system`), and what a fault test does to it: kill, restart, read its topics and metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families
from subsidy_shared.bus import read_from_beginning
from subsidy_shared.events import decode_event
from subsidy_shared.topics import TOPICS
from subsidyctl.catalog import SERVICES
from subsidyctl.supervisor import ServiceProcess, wait_ready

from tests.conftest import ServiceDatabase
from tests.e2e.conftest import System
from tests.faults.infra import KafkaBrokers

SERVICE_NAMES = tuple(s.name for s in SERVICES)


async def rows(db: ServiceDatabase, sql: str, **params: Any) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(sa.text(sql), params)]


class Metrics:
    """Prometheus counters of every process the test has seen, kept per process: a killed one's last figures
    still count. `scrape` reads every live replica; `total` sums a metric over everything ever seen."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, int, int], dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}

    async def scrape(self, client: httpx.AsyncClient, processes: Mapping[str, Sequence[ServiceProcess]]) -> None:
        for service, replicas in processes.items():
            for index, p in enumerate(replicas):
                if not p.alive() or p.process is None:
                    continue
                try:
                    response = await client.get(f"{p.url}/metrics", timeout=3)
                except httpx.HTTPError:
                    continue
                if response.status_code != 200:
                    continue
                samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
                for family in text_string_to_metric_families(response.text):
                    if not family.name.startswith("subsidy_"):
                        continue
                    for sample in family.samples:
                        samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
                self.seen[(service, index, p.process.pid)] = samples

    def total(
        self,
        name: str,
        service: str | None = None,
        pids: set[int] | None = None,
        replica: int | None = None,
        **labels: str,
    ) -> float:
        """Summed over every process seen (or those of `service`, of one replica, or with those `pids`)."""
        found = 0.0
        for (svc, index, pid), samples in self.seen.items():
            if (service is not None and svc != service) or (pids is not None and pid not in pids):
                continue
            if replica is not None and index != replica:
                continue
            for (sample, sample_labels), value in samples.items():
                if sample != name:
                    continue
                have = dict(sample_labels)
                if all(have.get(k) == v for k, v in labels.items()):
                    found += value
        return found


class FaultSystem:
    """The running system plus the handles a fault test needs: replicas, the broker, kill and restart."""

    def __init__(self, system: System, kafka: KafkaBrokers) -> None:
        self.system = system
        self.kafka = kafka
        self.bootstrap = kafka.bootstrap
        self.metrics = Metrics()
        self.started_in = 0.0  # seconds from nothing to every replica ready

    @property
    def prefix(self) -> str:
        return self.system.prefix

    @property
    def replicas(self) -> dict[str, list[ServiceProcess]]:
        return self.system.replicas

    @property
    def databases(self) -> dict[str, ServiceDatabase]:
        return self.system.databases

    def urls(self, service: str) -> list[str]:
        return [p.url for p in self.replicas[service]]

    def topic(self, name: str) -> str:
        return self.prefix + name

    def group(self, service: str) -> str:
        return f"{self.prefix}{service}"

    # ---- processes -----------------------------------------------------------------------------------

    def kill9(self, process: ServiceProcess) -> None:
        """SIGKILL, no clean shutdown: no LeaveGroup, no commit, the relay's batch cut wherever it was."""
        assert process.alive(), f"{process.name} is not running"
        process.kill()

    async def start(self, process: ServiceProcess, within: float = 90.0) -> float:
        """Start (again) and wait until ready, as a supervisor would; returns the seconds to ready."""
        started = time.monotonic()
        process.start()
        await asyncio.to_thread(wait_ready, [process], within)
        return time.monotonic() - started

    async def readiness(self, client: httpx.AsyncClient, process: ServiceProcess) -> dict[str, Any] | None:
        """The replica's /readyz body (200 or 503), None when it does not answer."""
        try:
            response = await client.get(f"{process.url}/readyz", timeout=3)
            body: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError):
            return None
        return body | {"status_code": response.status_code}

    async def held(self, client: httpx.AsyncClient, process: ServiceProcess) -> list[str]:
        """The partitions its consumers say they hold ("<topic>:<p>"), from /readyz."""
        body = await self.readiness(client, process) or {}
        return [tp for c in body.get("consumers", []) for tp in c.get("partitions", [])]

    async def busiest(self, client: httpx.AsyncClient, service: str) -> ServiceProcess:
        """The replica of `service` holding the most partitions (the first when none says)."""
        replicas = self.replicas[service]
        counts = [len(await self.held(client, p)) for p in replicas]
        return replicas[counts.index(max(counts))]

    async def stop(self, process: ServiceProcess) -> None:
        await asyncio.to_thread(process.stop)

    # ---- the broker ----------------------------------------------------------------------------------

    async def produce_raw(self, messages: Sequence[tuple[str, bytes | None, bytes]]) -> None:
        """(broker-side topic, key, value) sent verbatim, in order."""
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for topic, key, value in messages:
                await producer.send_and_wait(topic, value=value, key=key)
        finally:
            await producer.stop()

    async def read_topic(self, name: str) -> list[Any]:
        return await read_from_beginning(self.bootstrap, [self.topic(name)])

    async def dead_letters(self) -> list[str]:
        """Every dead letter as `consumer: type after N attempts (error)`; no fault may put a sound event there."""
        found = []
        for spec in TOPICS:
            for record in await self.read_topic(spec.dlq):
                headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
                try:
                    type_ = decode_event(record.value).type
                except ValueError:
                    type_ = "undecodable"
                consumer = headers.get("dlq.consumer", "?").removeprefix(self.prefix)
                attempts, error = headers.get("dlq.attempts"), headers.get("dlq.error")
                found.append(f"{consumer}: {type_} after {attempts} attempts ({error})")
        return found
