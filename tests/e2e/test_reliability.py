"""Nothing lost, nothing twice: a crashed consumer, a redelivered event, a poison message."""

from __future__ import annotations

import asyncio
import signal
import uuid

import httpx
from subsidy_shared.auth import Role
from subsidy_shared.events import encode_event

from tests.conftest import application_body, submit_complete, submitted_event, token_for
from tests.e2e.conftest import System, eventually

WINDOW = "230102001"


async def _submit(http: httpx.AsyncClient, system: System, sequences: range) -> list[str]:
    clerk = token_for(Role.WINDOW_CLERK, WINDOW)
    ids = []
    for sequence in sequences:
        body = application_body(hukou="510104001" if sequence % 2 else "230103002", sequence=sequence)
        ids.append(await submit_complete(http, system.url("intake"), clerk, body))
    return ids


async def _count(system: System, service: str, ids: list[str]) -> int:
    sql = "SELECT count(*) FROM cases WHERE application_id = ANY(CAST(:ids AS uuid[]))"
    return int(await system.databases[service].scalar(sql, ids=ids))


async def test_routing_crash_then_restart_routes_every_application_exactly_once(
    system: System, http: httpx.AsyncClient
) -> None:
    routing = system.processes["routing"]
    first = await _submit(http, system, range(1000, 1100))
    routing.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]  # mid-flight, no clean shutdown
    routing.process.wait()  # type: ignore[union-attr]
    second = await _submit(http, system, range(1100, 1200))
    ids = first + second
    routing.start()

    async def all_at_eligibility() -> bool:
        return await _count(system, "eligibility", ids) == 200

    await eventually(all_at_eligibility, within=120)
    assert await _count(system, "routing", ids) == 200
    routed = [e for e in await system.events("subsidy.cases", "subsidy.case.routed.v1") if e.subject in set(ids)]
    per_application: dict[str, set[uuid.UUID]] = {}
    for event in routed:
        per_application.setdefault(event.subject or "", set()).add(event.id)
    assert len(per_application) == 200
    # A relay killed between send and mark may publish a row twice, but always with the same event id.
    assert all(len(event_ids) == 1 for event_ids in per_application.values())


async def test_the_same_event_delivered_twice_is_routed_once(system: System) -> None:
    event = submitted_event(2001)
    raw = encode_event(event)

    await system.produce("subsidy.applications", raw, key=event.data.person_key.encode(), partition=0)
    await system.produce("subsidy.applications", raw, key=event.data.person_key.encode(), partition=1)

    ids = [str(event.data.application_id)]

    async def at_eligibility() -> bool:
        return await _count(system, "eligibility", ids) == 1

    await eventually(at_eligibility)
    await asyncio.sleep(2)  # give the second delivery every chance to do harm
    assert await _count(system, "routing", ids) == 1
    routed = [e for e in await system.events("subsidy.cases", "subsidy.case.routed.v1") if e.subject == ids[0]]
    assert len({e.id for e in routed}) == 1
    sql = "SELECT count(*) FROM inbox WHERE event_id = CAST(:id AS uuid)"
    assert await system.databases["routing"].scalar(sql, id=str(event.id)) == 1


async def test_poison_message_goes_to_the_dlq_and_the_next_message_flows(system: System) -> None:
    after = submitted_event(2002)
    poison = b'{"specversion": "1.0", "type": "subsidy.application.submitted.v1", "data": {"oops": '

    await system.produce("subsidy.applications", poison, key=b"poison", partition=2)
    await system.produce("subsidy.applications", encode_event(after), key=b"after", partition=2)

    ids = [str(after.data.application_id)]

    async def routed() -> bool:
        return await _count(system, "eligibility", ids) == 1

    await eventually(routed)

    async def dead_letters() -> list[tuple[bytes, list[tuple[str, bytes]]]]:
        return [m for m in await system.read_topic("subsidy.applications.dlq") if m[0] == poison]

    letters = await eventually(dead_letters)
    # Every consumer group of the topic (routing, eligibility) dead-letters its own copy; routing's is checked.
    by_consumer = {dict(h)["dlq.consumer"].decode().rsplit(".", 1)[-1]: dict(h) for _, h in letters}
    headers = by_consumer.get("routing") or (await eventually(lambda: _routing_letter(system, poison)))
    assert headers["dlq.original_topic"].decode() == system.topic("subsidy.applications")
    assert b"Invalid JSON" in headers["dlq.error"] or b"json" in headers["dlq.error"].lower()


async def _routing_letter(system: System, poison: bytes) -> dict[str, bytes] | None:
    for value, raw_headers in await system.read_topic("subsidy.applications.dlq"):
        headers = dict(raw_headers)
        if value == poison and headers["dlq.consumer"].decode().endswith("routing"):
            return headers
    return None
