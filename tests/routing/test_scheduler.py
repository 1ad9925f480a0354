"""The background loops as the service runs them: on the app's own sessionmaker and settings."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from routing_service import scheduler

from tests.conftest import ServiceDatabase
from tests.routing.conftest import GUANGZHOU_HUKOU, ApiFactory, ProvinceSystemStub, apply, settings_for, submitted

FAST: dict[str, Any] = {"breach_scan_seconds": 0.05, "push_poll_seconds": 0.05}


async def until(check: Callable[[], Awaitable[bool]], attempts: int = 250) -> None:
    """Poll a database condition the loop under test should reach within a few seconds."""
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the background loop did not get there")


async def test_the_breach_loop_records_an_overdue_case_once(db: ServiceDatabase, api_factory: ApiFactory) -> None:
    api = await api_factory(settings_for(db, **FAST))
    await apply(db, submitted())  # routed 2026-09-29: its decision was due 2026-10-19, long before today
    task = asyncio.create_task(scheduler.scan_breaches_forever(api.app))

    async def recorded() -> bool:
        return bool(await db.scalar("SELECT count(*) FROM deadline_breaches") == 1)

    try:
        await until(recorded)
        await asyncio.sleep(0.2)  # a few more rounds
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert (
        await db.scalar("SELECT count(*) FROM outbox WHERE convert_from(payload, 'UTF8') LIKE '%deadline_breached%'")
        == 1
    )


async def test_the_push_loop_delivers_a_pending_case(
    db: ServiceDatabase, api_factory: ApiFactory, province_system: ProvinceSystemStub
) -> None:
    api = await api_factory(settings_for(db, province_system, **FAST))
    await apply(db, submitted(hukou=GUANGZHOU_HUKOU), stub=province_system)
    task = asyncio.create_task(scheduler.push_forever(api.app))

    async def pushed() -> bool:
        return bool(await db.scalar("SELECT status FROM cases") == "pushed")

    try:
        await until(pushed)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert len(province_system.received) == 1
