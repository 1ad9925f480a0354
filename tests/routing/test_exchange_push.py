"""Pushing cases to a province's own system (自建系统): a real HTTP server on 127.0.0.1 stands in for it."""

from __future__ import annotations

import asyncio
import socket
from datetime import date, timedelta

from subsidy_shared.auth import Role
from subsidy_shared.events import CaseDeadlineBreached, CaseRouted

from tests.conftest import ServiceDatabase, token_for
from tests.routing.conftest import (
    GUANGZHOU_HUKOU,
    PROVINCE_TOKEN_SECRET,
    T0,
    ApiFactory,
    ProvinceSystemStub,
    apply,
    at,
    case_row,
    outbox_events,
    push,
    routed_to_guangdong,
    settings_for,
    submitted,
)

GUANGDONG = token_for(Role.PROVINCE_SYSTEM, "440000", sub="gd-liangbu")
# A case file is for officials: another province's system reads only through the exchange.
GUANGDONG_ADMIN = token_for(Role.PROVINCIAL_ADMIN, "440000", sub="gd-admin")


async def test_a_case_is_pushed_until_acknowledged_then_routed_once(
    db: ServiceDatabase, province_system: ProvinceSystemStub
) -> None:
    settings = settings_for(db, province_system)
    application_id = await routed_to_guangdong(db, province_system)
    province_system.script = [503]

    first = await push(db, settings, T0)
    state_after_503 = (await case_row(db, "status"), await case_row(db, "push_attempts"))
    error_after_503 = await case_row(db, "last_push_error")
    too_early = await push(db, settings, T0 + timedelta(seconds=4))  # backoff: 5 s after the first try
    second = await push(db, settings, T0 + timedelta(seconds=6))
    afterwards = await push(db, settings, T0 + timedelta(hours=1))

    assert (first, too_early, second, afterwards) == (1, 0, 1, 0)
    assert state_after_503 == ("push_pending", 1) and error_after_503 == "HTTP 503"
    assert await case_row(db, "status") == "pushed"
    assert await case_row(db, "pushed_at") == T0 + timedelta(seconds=6)
    [routed] = [e for e in await outbox_events(db) if isinstance(e, CaseRouted)]
    assert routed.data.external_system == "44" and routed.data.application_id == application_id
    assert routed.data.received_at == T0 + timedelta(seconds=6)
    assert routed.data.decision_due == date(2026, 10, 19)
    assert len(province_system.received) == 2
    for request in province_system.received:
        assert request.path == "/liangbu/cases"
        assert request.headers["Idempotency-Key"] == str(application_id)
        assert request.headers["Authorization"] == f"Bearer {PROVINCE_TOKEN_SECRET}"
    body = province_system.received[0].body
    assert body["application_id"] == str(application_id) and body["hukou_region"] == GUANGZHOU_HUKOU
    assert (body["scope"], body["locality_county"], body["push_due"]) == ("cross_province", "440106", "2026-10-09")


async def test_a_refused_push_fails_for_good_and_its_clock_still_runs(
    db: ServiceDatabase, province_system: ProvinceSystemStub, api_factory: ApiFactory
) -> None:
    settings = settings_for(db, province_system)
    application_id = await routed_to_guangdong(db, province_system)
    province_system.script = [400]

    await push(db, settings, T0)
    again = await push(db, settings, T0 + timedelta(days=1))

    assert again == 0 and len(province_system.received) == 1
    api = await api_factory(settings)
    api.set_now(at("2026-10-12"))
    case = (await api.client.get(f"/v1/cases/{application_id}", headers=GUANGDONG_ADMIN)).json()
    assert case["status"] == "push_failed"
    assert case["delivery"] == {"attempts": 1, "next_attempt_at": None, "last_error": "HTTP 400"}
    assert case["deadlines"][0] == {
        "name": "push",
        "due": "2026-10-09",
        "done_on": None,
        "state": "breached",
        "met": False,
    }
    assert [e.data.deadline for e in await outbox_events(db) if isinstance(e, CaseDeadlineBreached)] == []
    overdue = await api.client.get("/v1/cases/overdue", headers=token_for(Role.COUNTY_CIVIL_AFFAIRS, "440106"))
    assert [i["breached"] for i in overdue.json()["items"]] == [["push"]]


async def test_a_timeout_is_retried(db: ServiceDatabase, province_system: ProvinceSystemStub) -> None:
    settings = settings_for(db, province_system)
    await routed_to_guangdong(db, province_system)
    province_system.script = ["hang"]

    await push(db, settings, T0, http_timeout=0.2)
    error = await case_row(db, "last_push_error")
    await push(db, settings, T0 + timedelta(seconds=10))

    assert error == "timeout"
    assert await case_row(db, "status") == "pushed"


async def test_an_unreachable_system_is_retried_with_growing_backoff(db: ServiceDatabase) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    unreachable = ProvinceSystemStub(url=f"http://127.0.0.1:{closed_port}/liangbu")
    settings = settings_for(db, unreachable)
    await routed_to_guangdong(db, unreachable)

    await push(db, settings, T0)
    await push(db, settings, T0 + timedelta(seconds=5))

    assert await case_row(db, "last_push_error") == "ConnectError"
    assert await case_row(db, "push_attempts") == 2
    assert await case_row(db, "next_push_at") == T0 + timedelta(seconds=15)  # 5 s, then 10 s
    assert await case_row(db, "status") == "push_pending"


async def test_two_replicas_pushing_at_once_deliver_each_case_once(
    db: ServiceDatabase, province_system: ProvinceSystemStub
) -> None:
    settings = settings_for(db, province_system, push_batch=2)
    cases = [submitted(hukou=GUANGZHOU_HUKOU, sequence=n) for n in range(1, 5)]
    for event in cases:
        await apply(db, event, now=T0, stub=province_system)

    counts = await asyncio.gather(push(db, settings, T0), push(db, settings, T0))

    assert sorted(counts) == [2, 2]
    delivered = [r.body["application_id"] for r in province_system.received]
    assert sorted(delivered) == sorted(str(e.data.application_id) for e in cases)
    assert await db.scalar("SELECT count(*) FROM cases WHERE status = 'pushed'") == 4
    routed = [e.data.application_id for e in await outbox_events(db) if isinstance(e, CaseRouted)]
    assert sorted(map(str, routed)) == sorted(delivered)
