"""How fast the transactional outbox drains to the real broker, and how fast intake accepts applications.

Prints numbers; asserts nothing. Uses a throw-away database `bench_intake` and topics under `bench<id>.`.

    uv run python -m bench.outbox_throughput --events 20000 --intake-url http://127.0.0.1:8001
"""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from subsidy_shared.auth import Role
from subsidy_shared.bus import delete_topics, ensure_topics, make_producer
from subsidy_shared.db import make_engine, make_sessionmaker
from subsidy_shared.events import ApplicationSubmitted
from subsidy_shared.outbox import OutboxRelay, add_many
from subsidy_shared.settings import ServiceSettings
from subsidy_shared.topics import all_topic_names

from tests.conftest import KAFKA, application_body, fresh_migrated_database, service_info, submitted_event, token_for

console = Console()


def _events(count: int) -> list[ApplicationSubmitted]:
    return [submitted_event(sequence) for sequence in range(count)]


async def _outbox(events: int, batch_size: int) -> dict[str, float]:
    url = await fresh_migrated_database(service_info("intake"), "bench_intake")
    engine = make_engine(url, pool_size=5)
    sessionmaker = make_sessionmaker(engine)
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    settings = ServiceSettings(kafka_bootstrap=KAFKA, topic_prefix=prefix)
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    try:
        started = time.perf_counter()
        batch = _events(1000)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("writing outbox rows", total=events)
            for _ in range(0, events, len(batch)):
                async with sessionmaker() as session, session.begin():
                    await add_many(session, [e.model_copy(update={"id": uuid.uuid4()}) for e in batch])
                progress.advance(task, len(batch))
        written = time.perf_counter() - started
        relay = OutboxRelay(sessionmaker, producer, service="bench", topic_prefix=prefix, batch_size=batch_size)
        started = time.perf_counter()
        published = 0
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("relaying to Kafka", total=events)
            while (n := await relay.publish_batch()) > 0:
                published += n
                progress.advance(task, n)
        relayed = time.perf_counter() - started
        return {"rows": published, "write_per_s": published / written, "relay_per_s": published / relayed}
    finally:
        await producer.stop()
        await engine.dispose()
        await delete_topics(KAFKA, all_topic_names(prefix))


async def _intake(base_url: str, applications: int) -> dict[str, float]:
    clerk = token_for(Role.WINDOW_CLERK, "230102001")
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("POST /v1/applications", total=applications)
            for sequence in range(applications):
                body = application_body(sequence=50_000 + sequence)
                t0 = time.perf_counter()
                response = await client.post("/v1/applications", json=body, headers=clerk)
                latencies.append(time.perf_counter() - t0)
                if response.status_code not in (201, 409):
                    raise RuntimeError(f"intake answered {response.status_code}: {response.text}")
                progress.advance(task)
    latencies.sort()
    return {
        "requests": len(latencies),
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
        "per_s": len(latencies) / sum(latencies),
    }


def main(
    events: int = typer.Option(20_000, help="outbox rows to write and relay"),
    batch_size: int = typer.Option(500, help="relay batch size"),
    intake_url: str = typer.Option("", help="also time POST /v1/applications against a running intake (make up)"),
    applications: int = typer.Option(300, help="applications to post when --intake-url is given"),
) -> None:
    result = asyncio.run(_outbox(events, batch_size))
    table = Table(title="outbox → Kafka (real broker, real PostgreSQL)")
    for column in ("rows", "write rows/s", "relay events/s"):
        table.add_column(column, justify="right")
    table.add_row(f"{result['rows']:.0f}", f"{result['write_per_s']:.0f}", f"{result['relay_per_s']:.0f}")
    console.print(table)
    if intake_url:
        timing = asyncio.run(_intake(intake_url, applications))
        table = Table(title="intake POST /v1/applications (sequential)")
        for column in ("requests", "p50 ms", "p95 ms", "requests/s"):
            table.add_column(column, justify="right")
        table.add_row(*(f"{timing[k]:.1f}" for k in ("requests", "p50_ms", "p95_ms", "per_s")))
        console.print(table)


if __name__ == "__main__":
    typer.run(main)
