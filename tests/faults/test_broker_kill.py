"""The single broker `kill -9`ed mid-stream for ~15 s, then restarted: the windows keep accepting applications
(201s while the broker is down: intake writes its outbox, not the broker), the relays publish the backlog when it
is back, and everything completes exactly once."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.faults.checks import Figures, exact_outcomes, figures_of
from tests.faults.conftest import SystemFactory
from tests.faults.infra import KafkaBrokers
from tests.faults.workload import Workload

DOWN_SECONDS = 15.0


async def test_broker_killed_mid_stream_and_restarted(
    fault_system: SystemFactory, single_broker: KafkaBrokers, http: httpx.AsyncClient
) -> None:
    figures = Figures("single broker kill -9 mid-stream, restarted")
    async with fault_system(single_broker, replicas=2) as fs:
        wl = Workload.of(fs, http, first=20_000, n=100, rate=2.5)
        async with wl.running():
            submitting = asyncio.create_task(wl.submit_all())
            await wl.wait_completed(10, within=90)
            killed_at = time.monotonic()
            single_broker.kill9()
            await asyncio.sleep(DOWN_SECONDS)
            restart_at = time.monotonic()
            await asyncio.to_thread(single_broker.restart)
            back_at = time.monotonic()
            accepted_while_down = wl.accepted_between(killed_at, back_at)
            before_back = [s for s in wl.submitted.values() if s.accepted_at < back_at]
            await wl.settle(submitting)
        outcome = await exact_outcomes(fs, wl)
    figures_of(fs, wl, figures, outcome)
    resumed = wl.first_completion_after(back_at)
    drained = max(s.completed_at or 0 for s in before_back)
    figures["broker down, kill → answering again (s)"] = round(back_at - killed_at, 1)
    figures["of which the broker's own start (s)"] = round(back_at - restart_at, 1)
    figures["applications accepted (201) while down"] = accepted_while_down
    figures["recovery: first completion after the broker is back (s)"] = round(resumed - back_at, 2) if resumed else "-"
    figures["recovery: backlog of the outage completed after (s)"] = round(drained - back_at, 2)
    figures.print()
    assert accepted_while_down >= 10, "intake stopped accepting while the broker was down"
