"""Consumer group membership on the real broker: readiness waits for an assignment, replicas share the
partitions, and a replica that stops or restarts does not leave its partitions idle for a session timeout."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from subsidy_shared.bus import ConsumerRunner, delete_topics, ensure_topics, topic_partitions
from subsidy_shared.settings import ServiceSettings
from subsidy_shared.topics import APPLICATIONS, all_topic_names
from subsidyctl.catalog import REPO_ROOT

from tests.conftest import KAFKA
from tests.e2e.conftest import eventually

# Long enough that waiting it out is unmistakable against the few seconds a leave or rejoin takes.
SESSION_MS = 30_000
STALLED = {"service": "membership-test", "reason": "stalled"}


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    prefix = f"mem{uuid.uuid4().hex[:8]}."
    await ensure_topics(ServiceSettings(kafka_bootstrap=KAFKA, topic_prefix=prefix, topic_partitions=6))
    try:
        yield prefix
    finally:
        await delete_topics(KAFKA, all_topic_names(prefix))


def _runner(prefix: str, replica: str | None) -> ConsumerRunner:
    settings = ServiceSettings(
        service_name="membership-test",
        kafka_bootstrap=KAFKA,
        topic_prefix=prefix,
        replica_id=replica,
        consumer_session_timeout_ms=SESSION_MS,
    )
    return ConsumerRunner(settings, None, None, {}, [APPLICATIONS.name])  # type: ignore[arg-type]  # no handler runs


@contextlib.asynccontextmanager
async def _running(runner: ConsumerRunner) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(runner.supervise())
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _held(*runners: ConsumerRunner) -> list[str]:
    return sorted(p for r in runners for p in r.membership.describe())


async def test_not_ready_until_the_group_assigns_and_two_replicas_split_every_partition(prefix: str) -> None:
    first, second = _runner(prefix, "0"), _runner(prefix, "1")
    assert not first.ready()  # nothing is held before the group has answered
    async with _running(first), _running(second):
        every = [f"{tp.topic}:{tp.partition}" for tp in await topic_partitions(KAFKA, [prefix + APPLICATIONS.name])]

        async def split() -> bool:
            return first.ready() and second.ready() and _held(first, second) == every

        await eventually(split, within=45)
        assert len(every) == 6
        assert first.membership.describe() and second.membership.describe()
        assert not set(first.membership.describe()) & set(second.membership.describe())


async def test_a_stopped_replica_hands_its_partitions_over_without_waiting_for_its_session(prefix: str) -> None:
    stays, leaves = _runner(prefix, "0"), _runner(prefix, "1")
    async with _running(stays):
        async with _running(leaves):
            await eventually(lambda: _async(stays.ready() and leaves.ready() and len(_held(stays, leaves)) == 6), 45)
        stopped = time.monotonic()
        await eventually(lambda: _async(len(stays.membership.describe()) == 6), within=SESSION_MS / 1000)
        handover = time.monotonic() - stopped
    print(f"handover after a clean stop: {handover:.1f} s (session timeout {SESSION_MS / 1000:.0f} s)")
    assert handover < SESSION_MS / 1000 / 2


# A replica in its own process, so it can really be killed: prints its partitions once it holds them.
_REPLICA = """
import asyncio, sys
from tests.shared.test_shared_membership import _runner

async def main():
    runner = _runner(sys.argv[1], sys.argv[2])
    task = asyncio.create_task(runner.supervise())
    while not (runner.ready() and runner.membership.describe()):
        await asyncio.sleep(0.1)
    print("HELD " + ",".join(runner.membership.describe()), flush=True)
    await task

asyncio.run(main())
"""


async def test_a_replica_restarted_after_a_crash_takes_its_partitions_back_at_once(prefix: str) -> None:
    other = _runner(prefix, "0")
    async with _running(other):
        crashing = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _REPLICA, prefix, "1", stdout=asyncio.subprocess.PIPE, cwd=str(REPO_ROOT)
        )
        try:
            assert crashing.stdout is not None
            held_before = await asyncio.wait_for(_held_line(crashing.stdout), timeout=60)
            await eventually(lambda: _async(len(_held(other)) + len(held_before) == 6), within=45)
        finally:
            crashing.kill()  # SIGKILL: no LeaveGroup, the broker still counts the member in
            await crashing.wait()

        restarted = _runner(prefix, "1")
        began = time.monotonic()
        async with _running(restarted):
            await eventually(lambda: _async(restarted.ready()), within=SESSION_MS / 1000)
            rejoined = time.monotonic() - began
            held_after = restarted.membership.describe()
    print(f"rejoin after kill -9: {rejoined:.1f} s (session timeout {SESSION_MS / 1000:.0f} s)")
    assert held_after == held_before  # static membership: the same replica gets the same partitions back
    assert rejoined < SESSION_MS / 1000 / 2


async def _held_line(stdout: asyncio.StreamReader) -> list[str]:
    while not (line := (await stdout.readline()).decode()).startswith("HELD "):  # its logs share stdout
        assert line, "the replica exited before it held partitions"
    return line.removeprefix("HELD ").strip().split(",")


async def _async(value: bool) -> bool:
    return value


async def test_a_consumer_hung_in_its_assignment_callback_is_found_stalled_and_restarted(
    prefix: str, tmp_path: Path
) -> None:
    marker = tmp_path / "stall-once"
    marker.touch()
    runner = _runner(prefix, "0")
    runner.settings = runner.settings.model_copy(
        update={"env": "test", "fault_stall_on_assign": str(marker), "consumer_stall_seconds": 3.0}
    )
    runner.membership._settings = runner.settings
    restarts = REGISTRY.get_sample_value("subsidy_consumer_restarts_total", STALLED) or 0.0
    began = time.monotonic()
    async with _running(runner):
        await eventually(lambda: _async(not marker.exists()), within=30)  # the fault fired
        assert not runner.ready()
        await eventually(lambda: _async(runner.ready() and len(runner.membership.describe()) == 6), within=60)
        recovered = time.monotonic() - began
    print(f"stalled consumer recovered in {recovered:.1f} s (stall limit 3 s); wedged: {runner.wedged()}")
    assert REGISTRY.get_sample_value("subsidy_consumer_restarts_total", STALLED) == restarts + 1
