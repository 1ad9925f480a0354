"""The single broker frozen (SIGSTOP, the GC-pause model) past the consumers' session timeout, then continued:
while frozen, requests hang rather than fail; on SIGCONT the broker finds every member's session expired and the
groups rebalance. The windows go on accepting, and everything completes exactly once."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.faults.checks import Figures, exact_outcomes, figures_of
from tests.faults.conftest import SystemFactory
from tests.faults.infra import KafkaBrokers
from tests.faults.workload import Workload

SESSION_TIMEOUT_MS = 10_000  # the default (SUBSIDY_CONSUMER_SESSION_TIMEOUT_MS), stated for the test
FROZEN_SECONDS = SESSION_TIMEOUT_MS / 1000 + 6


async def test_broker_frozen_past_the_session_timeout_then_continued(
    fault_system: SystemFactory, single_broker: KafkaBrokers, http: httpx.AsyncClient
) -> None:
    figures = Figures(f"single broker SIGSTOP {FROZEN_SECONDS:.0f}s (session timeout {SESSION_TIMEOUT_MS} ms)")
    env = {"SUBSIDY_CONSUMER_SESSION_TIMEOUT_MS": str(SESSION_TIMEOUT_MS)}
    async with fault_system(single_broker, replicas=2, env=env) as fs:
        wl = Workload.of(fs, http, first=40_000, n=100, rate=2.5)
        async with wl.running():
            submitting = asyncio.create_task(wl.submit_all())
            await wl.wait_completed(10, within=90)
            frozen_at = time.monotonic()
            single_broker.sigstop()
            try:
                await asyncio.sleep(FROZEN_SECONDS)
            finally:
                single_broker.sigcont()
            continued_at = time.monotonic()
            accepted_while_frozen = wl.accepted_between(frozen_at, continued_at)
            before = [s for s in wl.submitted.values() if s.accepted_at < continued_at]
            await wl.settle(submitting)
        outcome = await exact_outcomes(fs, wl)
    figures_of(fs, wl, figures, outcome)
    resumed = wl.first_completion_after(continued_at)
    drained = max(s.completed_at or 0 for s in before)
    figures["frozen (s)"] = round(continued_at - frozen_at, 1)
    figures["applications accepted (201) while frozen"] = accepted_while_frozen
    figures["recovery: first completion after SIGCONT (s)"] = round(resumed - continued_at, 2) if resumed else "-"
    figures["recovery: backlog of the pause completed after (s)"] = round(drained - continued_at, 2)
    figures.print()
    assert accepted_while_frozen >= 10, "intake stopped accepting while the broker was frozen"
