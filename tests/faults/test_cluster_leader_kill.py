"""On the 3-broker cluster (RF 3, min ISR 2), the leader of the busiest partition is `kill -9`ed mid-stream:
its partitions elect new leaders among the in-sync followers, the producers (acks=all, idempotent) and the
consumer groups (whose coordinator may have been on that node too) move over, and no completion waits longer
than BOUND_SECONDS. The node is restarted once the stream is through; nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from subsidy_shared.topics import TOPICS

from tests.faults.checks import Figures, exact_outcomes, figures_of
from tests.faults.conftest import SystemFactory
from tests.faults.infra import KafkaBrokers
from tests.faults.system import FaultSystem
from tests.faults.workload import Workload

# Controller notices the dead broker (broker.session.timeout.ms, 9 s by default), leaders move, clients refresh
# metadata and the groups whose coordinator died find a new one: well inside this.
BOUND_SECONDS = 30.0


async def partitions(fs: FaultSystem) -> dict[tuple[str, int], tuple[int, int]]:
    """(topic, partition) → (messages, leader node id) over the system's topics."""
    admin = AIOKafkaAdminClient(bootstrap_servers=fs.bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=fs.bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        described: list[dict[str, Any]] = await admin.describe_topics([fs.topic(t.name) for t in TOPICS])
        leaders = {(d["topic"], p["partition"]): p["leader"] for d in described for p in d["partitions"]}
        ends = await consumer.end_offsets([TopicPartition(t, p) for t, p in leaders])
        return {(tp.topic, tp.partition): (end, leaders[(tp.topic, tp.partition)]) for tp, end in ends.items()}
    finally:
        await consumer.stop()
        await admin.close()


async def test_leader_of_busiest_partition_killed_on_the_cluster(
    fault_system: SystemFactory, broker_cluster: KafkaBrokers, http: httpx.AsyncClient
) -> None:
    figures = Figures("3-broker cluster: leader of the busiest partition kill -9")
    async with fault_system(broker_cluster, replicas=2) as fs:
        wl = Workload.of(fs, http, first=30_000, n=100, rate=2.5)
        async with wl.running():
            submitting = asyncio.create_task(wl.submit_all())
            await wl.wait_completed(15, within=90)
            before = await partitions(fs)
            (topic, partition), (messages, leader) = max(before.items(), key=lambda kv: kv[1][0])
            led = sum(1 for _, node in before.values() if node == leader)
            killed_at = time.monotonic()
            broker_cluster.kill9(leader)
            await wl.settle(submitting)
            restart_at = time.monotonic()
            await asyncio.to_thread(broker_cluster.restart)
            restarted_in = time.monotonic() - restart_at
        outcome = await exact_outcomes(fs, wl)
        after = await partitions(fs)
    figures_of(fs, wl, figures, outcome)
    gap, gap_at = wl.longest_gap()
    resumed = wl.first_completion_after(killed_at)
    figures["killed"] = (
        f"node {leader}: leader of {topic.removeprefix(fs.prefix)}:{partition} ({messages} messages), "
        f"and of {led} of {len(before)} partitions"
    )
    figures["first completion after the kill (s)"] = round(resumed - killed_at, 2) if resumed else "-"
    figures["longest gap, and when (s after the kill)"] = f"{gap:.2f} at {gap_at - killed_at:+.1f}"
    figures["node restarted in (s)"] = round(restarted_in, 1)
    figures["that partition's leader afterwards"] = f"node {after[(topic, partition)][1]}"
    figures["bound on a pause (s)"] = BOUND_SECONDS
    figures.print()
    assert gap <= BOUND_SECONDS, f"completions paused {gap:.1f}s (bound {BOUND_SECONDS}s)"
