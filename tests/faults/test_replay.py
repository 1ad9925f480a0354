"""A replay changes nothing. Mid-stream, a slice of every topic is produced again byte for byte (same keys, same
event ids): each copy is an inbox conflict and nothing else. Then, quiet, every service's replicas are stopped,
each group's offsets rewound to the beginning of its topics, and the replicas started: the whole history is
delivered again, every message of a handled type is absorbed by the inbox, and no row of the five databases
changes — not an outbox row, not a payment."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.faults.checks import Figures, exact_outcomes, figures_of, no_outbox_left
from tests.faults.conftest import SystemFactory
from tests.faults.infra import KafkaBrokers
from tests.faults.replay import (
    consumers_caught_up,
    expected_duplicates,
    fingerprint,
    reproduce_slice,
    reset_to_earliest,
)
from tests.faults.system import SERVICE_NAMES
from tests.faults.workload import Workload

PER_TOPIC = 25


async def test_reproduced_events_and_offsets_reset_to_the_beginning_change_nothing(
    fault_system: SystemFactory, single_broker: KafkaBrokers, http: httpx.AsyncClient
) -> None:
    figures = Figures("replay: a slice re-produced verbatim, then every group rewound to the beginning")
    async with fault_system(single_broker, replicas=2) as fs:
        wl = Workload.of(fs, http, first=60_000, n=80, rate=3.0)
        async with wl.running():
            submitting = asyncio.create_task(wl.submit_all())
            await wl.wait_completed(20, within=90)
            dup_before = fs.metrics.total("subsidy_events_consumed_total", outcome="duplicate")
            sent, conflicts = await reproduce_slice(fs, PER_TOPIC)
            await wl.settle(submitting)
            await no_outbox_left(fs)
            await consumers_caught_up(fs)
        await fs.metrics.scrape(http, fs.replicas)
        dup_after_slice = fs.metrics.total("subsidy_events_consumed_total", outcome="duplicate") - dup_before
        before = await fingerprint(fs)

        everyone = [p for ps in fs.replicas.values() for p in ps]
        await asyncio.gather(*(fs.stop(p) for p in everyone))
        rewound = {service: await reset_to_earliest(fs, service) for service in SERVICE_NAMES}
        expected = {service: await expected_duplicates(fs, service) for service in SERVICE_NAMES}
        restarted_at = time.monotonic()
        await asyncio.gather(*(fs.start(p, within=120) for p in everyone))
        await consumers_caught_up(fs, within=120)
        replayed_in = time.monotonic() - restarted_at
        pids = {p.process.pid for p in everyone if p.process is not None}
        await fs.metrics.scrape(http, fs.replicas)
        replay = {
            service: {
                outcome: int(fs.metrics.total("subsidy_events_consumed_total", service, pids=pids, outcome=outcome))
                for outcome in ("duplicate", "applied")
            }
            for service in SERVICE_NAMES
        }
        after = await fingerprint(fs)
        outcome = await exact_outcomes(fs, wl)
    changed = {table: (before[table], after.get(table)) for table in before if before[table] != after.get(table)}
    figures_of(fs, wl, figures, outcome)
    figures["re-produced messages / inbox conflicts expected / seen"] = f"{sent} / {conflicts} / {int(dup_after_slice)}"
    figures["partitions rewound per group"] = rewound
    figures["full replay: conflicts expected per service"] = expected
    figures["full replay: seen (duplicate / applied; more than expected = redelivered)"] = {
        s: f"{r['duplicate']}/{r['applied']}" for s, r in replay.items()
    }
    figures["full replay: restart → every group caught up (s)"] = round(replayed_in, 1)
    figures["tables compared / changed"] = f"{len(before)} / {len(changed)}"
    figures.print()
    assert not changed, f"the replay changed {sorted(changed)}"
    assert dup_after_slice >= conflicts
    # Every message of the rewound history is a conflict, and nothing is applied again. More conflicts than
    # that are redeliveries (a rebalance while the replicas rejoin hands a batch over uncommitted).
    assert all(r["applied"] == 0 for r in replay.values()), replay
    assert all(replay[s]["duplicate"] >= expected[s] for s in SERVICE_NAMES), (replay, expected)
