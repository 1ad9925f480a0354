"""A consumer stalled after a rebalance (aiokafka #1154): the test-only hook SUBSIDY_FAULT_STALL_ON_ASSIGN makes
a consumer hang inside its partition-assignment callback, once, when the marker file it names exists. Mid-stream
the marker is armed and eligibility's replica 1 is restarted with the hook: it joins, the group rebalances, its
consumer is assigned partitions and hangs there. Its runner must see it (SUBSIDY_CONSUMER_STALL_SECONDS) and
restart its consumer in-process, and the partitions come back into use; /readyz says 503 meanwhile. If /healthz
said 503 (wedged past 3× the stall seconds) the test replaces the process as the supervisor does, and says so."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import httpx

from tests.faults.checks import Figures, exact_outcomes, figures_of
from tests.faults.conftest import SystemFactory
from tests.faults.infra import KafkaBrokers
from tests.faults.system import FaultSystem
from tests.faults.workload import Workload

STALL_SECONDS = 5.0
SERVICE = "eligibility"


async def watch_health(fs: FaultSystem, client: httpx.AsyncClient, log: dict[str, list[tuple[float, int]]]) -> None:
    """/readyz and /healthz of every replica of SERVICE, every 0.25 s; a 503 from /healthz gets the process
    replaced, as a supervisor's liveness probe would."""
    while True:
        for index, process in enumerate(fs.replicas[SERVICE]):
            for probe in ("readyz", "healthz"):
                try:
                    code = (await client.get(f"{process.url}/{probe}", timeout=2)).status_code
                except httpx.HTTPError:
                    code = 0
                log.setdefault(f"{index}/{probe}", []).append((time.monotonic(), code))
                if probe == "healthz" and code == 503:
                    log.setdefault("replaced", []).append((time.monotonic(), index))
                    fs.kill9(process)
                    await fs.start(process)
        await asyncio.sleep(0.25)


def seconds_unready(samples: list[tuple[float, int]]) -> float:
    total = 0.0
    for (t0, code), (t1, _) in itertools.pairwise(samples):
        if code != 200:
            total += t1 - t0
    return total


async def test_consumer_stalled_after_a_rebalance_is_detected_and_restarted(
    fault_system: SystemFactory, single_broker: KafkaBrokers, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    figures = Figures(f"consumer stalled in its assignment callback ({SERVICE}, stall limit {STALL_SECONDS:.0f}s)")
    marker = tmp_path / "stall-on-assign"
    env = {"SUBSIDY_CONSUMER_STALL_SECONDS": str(STALL_SECONDS)}
    health: dict[str, list[tuple[float, int]]] = {}
    async with fault_system(single_broker, replicas=2, env=env) as fs:
        wl = Workload.of(fs, http, first=70_000, n=80, rate=2.5)
        async with wl.running():
            submitting = asyncio.create_task(wl.submit_all())
            await wl.wait_completed(10, within=90)
            watcher = asyncio.create_task(watch_health(fs, http, health))
            try:
                restarted = fs.replicas[SERVICE][1]
                await fs.stop(restarted)
                marker.touch()
                armed_at = time.monotonic()
                restarted.env["SUBSIDY_FAULT_STALL_ON_ASSIGN"] = str(marker)  # this process only
                restart = asyncio.create_task(fs.start(restarted, within=120))

                async def taken() -> float:
                    while marker.exists():
                        assert time.monotonic() - armed_at < 60, "no consumer took the stall marker"
                        await asyncio.sleep(0.05)
                    return time.monotonic()

                stalled_at = await taken()

                async def restarted_in_process() -> float:
                    while True:
                        await fs.metrics.scrape(http, fs.replicas)
                        if fs.metrics.total("subsidy_consumer_restarts_total", SERVICE, reason="stalled") >= 1:
                            return time.monotonic()
                        assert time.monotonic() - stalled_at < 60, "the stalled consumer was never restarted"
                        await asyncio.sleep(0.25)

                detected_at = await restarted_in_process()
                await restart

                async def all_held() -> float:
                    while True:
                        held = [await fs.held(http, p) for p in fs.replicas[SERVICE]]
                        ready = [(await fs.readiness(http, p) or {}).get("status_code") for p in fs.replicas[SERVICE]]
                        if all(held) and ready == [200, 200]:
                            return time.monotonic()
                        assert time.monotonic() - detected_at < 60, f"not back: held {held}, ready {ready}"
                        await asyncio.sleep(0.25)

                back_at = await all_held()
            finally:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
            await wl.settle(submitting)
        outcome = await exact_outcomes(fs, wl)
    figures_of(fs, wl, figures, outcome)
    stalled_replicas = sorted(
        index
        for (service, index, _), samples in fs.metrics.seen.items()
        if service == SERVICE
        and any(name == "subsidy_consumer_restarts_total" and dict(labels).get("reason") == "stalled" and value
                for (name, labels), value in samples.items())
    )  # fmt: skip
    figures["stalled replica(s)"] = stalled_replicas
    figures["stall → restarted in-process (s)"] = round(detected_at - stalled_at, 2)
    figures["stall → every replica holds partitions and is ready (s)"] = round(back_at - stalled_at, 2)
    for index in range(len(fs.replicas[SERVICE])):
        figures[f"replica {index}: /readyz not 200 for (s)"] = round(
            seconds_unready(health.get(f"{index}/readyz", [])), 2
        )
        figures[f"replica {index}: /healthz 503 seen"] = any(c == 503 for _, c in health.get(f"{index}/healthz", []))
    figures["processes replaced on /healthz 503"] = len(health.get("replaced", []))
    first = wl.first_completion_after(stalled_at)
    figures["first completion after the stall (s)"] = round(first - stalled_at, 2) if first else "-"
    figures.print()
    assert detected_at - stalled_at <= 3 * STALL_SECONDS + 5
    assert stalled_replicas, "no replica reports a stalled-consumer restart"
