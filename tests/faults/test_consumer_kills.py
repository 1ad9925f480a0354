"""`kill -9` of every consumer service in turn, mid-batch, with 2 replicas each: the replica that holds the most
partitions dies while it is applying events, and the test starts it again a second later, as the supervisor
would. Its uncommitted batch is delivered again — to itself when it rejoins under its static member id, or to
the other replica once a rebalance hands its partitions over — and the inbox absorbs what had been applied."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from subsidyctl.supervisor import ServiceProcess

from tests.faults.checks import Figures, exact_outcomes, figures_of
from tests.faults.conftest import SystemFactory
from tests.faults.infra import KafkaBrokers
from tests.faults.system import SERVICE_NAMES, FaultSystem
from tests.faults.workload import Workload, bystander_records

BOUND_SECONDS = 30.0  # the longest pause in completions a killed replica may cause


async def applied(client: httpx.AsyncClient, process: ServiceProcess) -> float | None:
    """Events this process has applied so far (its Prometheus counter), None when it does not answer."""
    try:
        text = (await client.get(f"{process.url}/metrics", timeout=2)).text
    except httpx.HTTPError:
        return None
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "subsidy_events_consumed_total" and sample.labels.get("outcome") == "applied":
                total += sample.value
    return total


async def kill_mid_batch(client: httpx.AsyncClient, fs: FaultSystem, wl: Workload, service: str) -> dict[str, Any]:
    """Wait until the busiest replica is applying events (a registry burst keeps the registry's readers busy),
    kill -9 it and start it again a second later (a supervisor's poll): when, and whether it was mid-batch."""
    victim = await fs.busiest(client, service)
    if service in ("eligibility", "payment", "review"):
        await wl.import_records(bystander_records(150 * ("eligibility", "payment", "review").index(service), 150))
    before = await applied(client, victim)
    caught = False
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        now = await applied(client, victim)
        if now is not None and before is not None and now > before:
            caught = True
            break
        before = now
    await fs.metrics.scrape(client, fs.replicas)  # its last figures, before they die with it
    killed_at = time.monotonic()
    fs.kill9(victim)
    await asyncio.sleep(1.0)  # the supervisor's poll interval
    return {"killed_at": killed_at, "ready": asyncio.create_task(fs.start(victim)), "mid_batch": caught}


async def test_kill9_every_consumer_service_in_turn(
    fault_system: SystemFactory, single_broker: KafkaBrokers, http: httpx.AsyncClient
) -> None:
    figures = Figures("kill -9 of each consumer service in turn (2 replicas each)")
    async with fault_system(single_broker, replicas=2) as fs:
        wl = Workload.of(fs, http, first=10_000, n=120, rate=2.5)
        async with wl.running():
            submitting = asyncio.create_task(wl.submit_all())
            await wl.wait_completed(5, within=90)
            kills = {}
            for service in SERVICE_NAMES:
                kills[service] = await kill_mid_batch(http, fs, wl, service)
                await asyncio.sleep(2.0)
            ready = {service: await kill["ready"] for service, kill in kills.items()}
            await wl.settle(submitting)
        outcome = await exact_outcomes(fs, wl)
    gap, _ = wl.longest_gap()
    figures_of(fs, wl, figures, outcome)
    for service, kill in kills.items():
        resumed = wl.first_completion_after(kill["killed_at"])
        figures[f"{service}: ready again after (s)"] = round(ready[service] + 1.0, 2)
        figures[f"{service}: next completion after the kill (s)"] = (
            round(resumed - kill["killed_at"], 2) if resumed else "none"
        )
        figures[f"{service}: killed mid-batch"] = bool(kill["mid_batch"])
    figures["bound on a pause (s)"] = BOUND_SECONDS
    figures.print()
    assert gap <= BOUND_SECONDS, f"completions paused {gap:.1f}s"
