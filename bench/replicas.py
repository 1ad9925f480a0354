"""2,000 applications end to end over 2 replicas of every service: exact counts, and the share each replica did.

Prints numbers; the exact-outcome checks of the fault suite (tests/faults/checks.py) are what must hold. Runs
its own system (ports 48000+, databases `bench_replicas_*`, topics under a fresh prefix) on the shared broker
and PostgreSQL that `make infra` starts.

    uv run python -m bench.replicas --applications 2000 --replicas 2
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from tests.conftest import KAFKA, SERVER
from tests.e2e.conftest import running_system
from tests.faults.checks import exact_outcomes
from tests.faults.infra import KafkaBrokers
from tests.faults.system import SERVICE_NAMES, FaultSystem
from tests.faults.workload import Person, Workload

console = Console()
FIRST = 200_000  # sequences 200 000… : distinct ID numbers for up to 4 000 people (tests/conftest.py)


def _shared_broker() -> KafkaBrokers:
    port = KAFKA.rsplit(":", 1)[1]
    return KafkaBrokers(1, Path(".infra/kafka"), int(port))  # only its bootstrap is used: nothing is killed here


async def _run(applications: int, replicas: int, rate: float) -> None:
    async with (
        running_system(
            uuid.uuid4().hex[:8], replicas, kafka_bootstrap=KAFKA, database_server=SERVER,
            port_base=48000, label="bench_replicas",
        ) as system,
        httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=50)) as client,
    ):  # fmt: skip
        fs = FaultSystem(system, _shared_broker())
        people = [Person(FIRST + i) for i in range(applications)]
        wl = Workload(fs, client, people, rate=rate, registry_batch=50, pay_every=None)
        began = time.monotonic()
        async with wl.running():
            submitting = asyncio.create_task(wl.submit_all())
            with Progress(console=console) as progress:
                task = progress.add_task("applications entitled", total=applications)
                while len(wl.completed()) < applications:
                    if submitting.done() and submitting.exception() is not None:
                        raise submitting.exception()  # type: ignore[misc]
                    progress.update(task, completed=len(wl.completed()))
                    await asyncio.sleep(1.0)
                progress.update(task, completed=applications)
            await submitting
            flowed = time.monotonic() - began
            await wl.pay_round(within=300)
        outcome = await exact_outcomes(fs, wl)
        await fs.metrics.scrape(client, fs.replicas)
    _report(fs, wl, outcome, flowed, replicas)


def _report(fs: FaultSystem, wl: Workload, outcome: dict[str, object], flowed: float, replicas: int) -> None:
    latencies = wl.latencies()
    console.print(
        f"{outcome['applications']} applications, {outcome['entitlements']} entitlements, {outcome['payments']} "
        f"payments ({outcome['paid_fen']} fen) — exact; outbox left: 0; events processed {outcome['events_processed']}"
    )
    console.print(
        f"flow: {flowed:.0f} s ({len(wl.people) / flowed:.1f} applications/s); submit→entitled "
        f"p50 {statistics.median(latencies):.1f} s, max {max(latencies):.1f} s"
    )
    applied: dict[tuple[str, int], float] = defaultdict(float)
    for (service, index, _pid), samples in fs.metrics.seen.items():
        for (name, labels), value in samples.items():
            if name == "subsidy_events_consumed_total" and dict(labels).get("outcome") == "applied":
                applied[(service, index)] += value
    http = {url: n for r in wl.http.values() for url, n in r.by_replica.items()}
    table = Table("service", *[f"replica {k}: events applied / HTTP calls" for k in range(replicas)])
    for service in SERVICE_NAMES:
        urls = fs.urls(service)
        cells = [f"{int(applied[(service, k)])} / {http.get(urls[k], 0)}" for k in range(replicas)]
        table.add_row(service, *cells)
    console.print(table)


def main(
    applications: int = typer.Option(2000, min=1, max=4000),
    replicas: int = typer.Option(2, min=1, max=8),
    rate: float = typer.Option(25.0, help="applications submitted a second"),
) -> None:
    asyncio.run(_run(applications, replicas, rate))


if __name__ == "__main__":
    typer.run(main)
