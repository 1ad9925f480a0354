"""Two replicas of every service: one consumer group per service sharing the partitions, work flowing through
either replica's API, each application routed and pre-checked once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from subsidy_shared.auth import Role

from tests.conftest import application_body, submit_complete, token_for
from tests.e2e.conftest import PORT_BASE, System, eventually, running_system

HARBIN_WINDOW = "230102001"
CHENGDU_HUKOU = "510104001"
APPLICATIONS = 6


@pytest.fixture(scope="module")
async def replicated() -> AsyncIterator[System]:
    """Beside the session's system: its own ports, databases and topics."""
    async with running_system(uuid.uuid4().hex[:8], replicas=2, port_base=PORT_BASE + 500, label="e2e2") as system:
        yield system


async def readiness(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
    body: dict[str, Any] = (await http.get(f"{url}/readyz")).json()
    return body


async def settled(http: httpx.AsyncClient, urls: list[str]) -> list[dict[str, Any]]:
    """Each replica's consumer state once all are ready and hold partitions (after the group's last rebalance)."""

    async def states() -> list[dict[str, Any]] | None:
        found = [await readiness(http, url) for url in urls]
        return found if all(s["ready"] and s["consumers"][0]["partitions"] for s in found) else None

    return [s["consumers"][0] for s in await eventually(states)]


async def test_the_replicas_of_a_service_share_one_group_and_split_its_partitions(
    replicated: System, http: httpx.AsyncClient
) -> None:
    for service in ("routing", "eligibility", "payment"):
        first, second = await settled(http, replicated.urls(service))

        assert (first["replica"], second["replica"]) == ("0", "1")
        assert first["group"] == second["group"]
        assert not set(first["partitions"]) & set(second["partitions"])


async def test_applications_through_either_replica_are_routed_and_prechecked_once(
    replicated: System, http: httpx.AsyncClient
) -> None:
    clerk = token_for(Role.WINDOW_CLERK, HARBIN_WINDOW)
    intakes = replicated.urls("intake")
    ids = [
        await submit_complete(http, intakes[n % 2], clerk, application_body(hukou=CHENGDU_HUKOU, sequence=700 + n))
        for n in range(APPLICATIONS)
    ]
    eligibility = replicated.databases["eligibility"]

    async def prechecked() -> bool:
        count = await eligibility.scalar("SELECT count(*) FROM cases WHERE precheck IS NOT NULL")
        return bool(count == APPLICATIONS)

    await eventually(prechecked)
    assert await replicated.databases["routing"].scalar("SELECT count(*) FROM cases") == APPLICATIONS
    assert sorted(str(i) for i in await _case_ids(replicated)) == sorted(ids)

    async def all_published() -> bool:
        return bool(
            await replicated.databases["routing"].scalar("SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL")
        )

    await eventually(all_published)


async def _case_ids(system: System) -> list[uuid.UUID]:
    async with system.databases["eligibility"].engine.connect() as conn:
        return list((await conn.exec_driver_sql("SELECT application_id FROM cases")).scalars())
