"""How the three clocks were kept, per county and per ISO week of their due dates, for supervisors."""

from __future__ import annotations

from typing import Any

import pytest
from subsidy_shared.auth import Role
from subsidy_shared.events import ApplicationWithdrawn, ApplicationWithdrawnData

from tests.conftest import ServiceDatabase, token_for
from tests.routing.conftest import CHENGDU_HUKOU, RoutingApi, apply, at, decided, submitted

HARBIN_HUKOU = "230103002"
HEILONGJIANG = token_for(Role.PROVINCIAL_ADMIN, "230000")


@pytest.fixture
async def autumn(db: ServiceDatabase, api: RoutingApi) -> RoutingApi:
    """Four cases from the Harbin window 230102001, seen on Tuesday 2026-10-20.

    A (Chengdu): pushed and decided in time (10-09); notify due 10-13, never done → breached.
    B (Harbin 230103): decision due 10-19, still open → breached.  C (230103, routed 10-12): decision due 10-26, open.
    D (Chengdu): withdrawn on 10-09, before its decision was due → stopped, neither met nor breached.
    """
    a = submitted(hukou=CHENGDU_HUKOU, sequence=1)
    b = submitted(hukou=HARBIN_HUKOU, sequence=2)
    c = submitted(hukou=HARBIN_HUKOU, sequence=3, complete=at("2026-10-12"))
    d = submitted(hukou=CHENGDU_HUKOU, sequence=4)
    for event in (a, b, d):
        await apply(db, event, now=at("2026-09-29"))
    await apply(db, c, now=at("2026-10-12"))
    await apply(db, decided(a, when=at("2026-10-09")), now=at("2026-10-09"))
    withdrawal = ApplicationWithdrawnData(
        application_id=d.data.application_id, person_key=d.data.person_key, withdrawn_at=at("2026-10-09")
    )
    await apply(db, ApplicationWithdrawn(source="test", data=withdrawal))
    api.set_now(at("2026-10-20"))
    return api


def county(county: str, clock: str, due: int, met: int, breached: int, open: int, share: float | None) -> Any:
    return {
        "county": county,
        "clock": clock,
        "due": due,
        "met": met,
        "breached": breached,
        "open": open,
        "share_met": share,
    }


def week(week: str, clock: str, due: int, met: int, share: float | None) -> Any:
    return {"week": week, "clock": clock, "due": due, "met": met, "share_met": share}


async def test_clocks_by_answerable_county_and_by_week_of_their_due_date(autumn: RoutingApi) -> None:
    response = await autumn.client.get("/v1/statistics/clocks", headers=HEILONGJIANG)

    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["region"] == "230000"
    assert figures["by_county"] == [
        county("230102", "notify", 1, 0, 1, 0, 0.0),  # the window tells the applicant
        county("230103", "push", 2, 2, 0, 0, 1.0),
        county("230103", "decision", 2, 0, 1, 1, 0.0),
        county("510104", "push", 2, 2, 0, 0, 1.0),
        county("510104", "decision", 2, 1, 0, 0, 1.0),  # D was withdrawn in time: due, but stopped
    ]
    assert figures["by_week"] == [
        week("2026-W41", "push", 3, 3, 1.0),
        week("2026-W42", "push", 1, 1, 1.0),
        week("2026-W42", "notify", 1, 0, 0.0),
        week("2026-W43", "decision", 3, 1, 0.5),
        week("2026-W44", "decision", 1, 0, None),  # still open: no share yet
    ]


async def test_the_date_range_counts_clocks_by_their_due_date(autumn: RoutingApi) -> None:
    response = await autumn.client.get(
        "/v1/statistics/clocks", params={"from_date": "2026-10-12", "to_date": "2026-10-18"}, headers=HEILONGJIANG
    )

    figures = response.json()
    assert [(r["county"], r["clock"]) for r in figures["by_county"]] == [("230102", "notify"), ("230103", "push")]
    assert [(r["week"], r["clock"]) for r in figures["by_week"]] == [("2026-W42", "push"), ("2026-W42", "notify")]


async def test_a_county_sees_the_cases_of_its_area_only(autumn: RoutingApi) -> None:
    chengdu = token_for(Role.COUNTY_CIVIL_AFFAIRS, "510104")

    response = await autumn.client.get("/v1/statistics/clocks", headers=chengdu)

    figures = response.json()
    assert figures["region"] == "510104"
    # Cases A and D: their locality is Chengdu; A's notify clock belongs to the Harbin window.
    assert [(r["county"], r["clock"], r["due"]) for r in figures["by_county"]] == [
        ("230102", "notify", 1),
        ("510104", "push", 2),
        ("510104", "decision", 2),
    ]


async def test_only_supervisors_of_the_region_may_ask_and_dates_must_be_in_order(autumn: RoutingApi) -> None:
    get = autumn.client.get
    clerk = await get("/v1/statistics/clocks", headers=token_for(Role.WINDOW_CLERK, "230102001"))
    outside = await get("/v1/statistics/clocks", params={"region": "510104"}, headers=HEILONGJIANG)
    backwards = await get(
        "/v1/statistics/clocks", params={"from_date": "2026-10-20", "to_date": "2026-10-01"}, headers=HEILONGJIANG
    )
    township = await get("/v1/statistics/clocks", params={"region": "230102001"}, headers=HEILONGJIANG)

    assert clerk.status_code == outside.status_code == 403
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["loc"] == ["query", "to_date"]
    assert township.status_code == 422 and township.json()["errors"][0]["loc"] == ["query", "region"]
