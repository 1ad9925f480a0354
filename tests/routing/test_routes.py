"""The routing API over ASGI on a real database, with the clock injected through `utc_now`."""

from __future__ import annotations

import uuid
from typing import Any

from subsidy_shared.auth import Role
from subsidy_shared.events import ApplicationWithdrawn, ApplicationWithdrawnData

from tests.conftest import ServiceDatabase, token_for
from tests.routing.conftest import CHENGDU_HUKOU, HARBIN_WINDOW, RoutingApi, apply, at, decided, submitted

CHENGDU_COUNTY = token_for(Role.COUNTY_CIVIL_AFFAIRS, "510104")
CLERK = token_for(Role.WINDOW_CLERK, HARBIN_WINDOW)


def clocks(case: dict[str, Any]) -> dict[str, tuple[str | None, str | None, str, bool]]:
    return {d["name"]: (d["due"], d["done_on"], d["state"], d["met"]) for d in case["deadlines"]}


async def test_a_case_shows_its_three_clocks_on_the_injected_day(api: RoutingApi, db: ServiceDatabase) -> None:
    application = submitted()
    await apply(db, application, now=at("2026-09-29"))
    await apply(db, decided(application, when=at("2026-10-09")), now=at("2026-10-09"))
    api.set_now(at("2026-10-12"))  # Monday: notify due Tue 10-13, one working day left

    response = await api.client.get(f"/v1/cases/{application.data.application_id}", headers=CLERK)

    assert response.status_code == 200, response.text
    case = response.json()
    assert case["status"] == "decided"
    assert clocks(case) == {
        "push": ("2026-10-09", "2026-09-29", "on_time", True),
        "decision": ("2026-10-19", "2026-10-09", "on_time", True),
        "notify": ("2026-10-13", None, "at_risk", False),
    }
    assert [o["outcome"] for o in case["outcomes"]] == ["refused", "approved"]
    assert "applicant" not in case and "application" not in case


async def test_a_withdrawn_case_shows_its_open_clock_stopped(api: RoutingApi, db: ServiceDatabase) -> None:
    application = submitted()
    await apply(db, application, now=at("2026-09-29"))
    data = ApplicationWithdrawnData(
        application_id=application.data.application_id,
        person_key=application.data.person_key,
        withdrawn_at=at("2026-10-12"),
    )
    await apply(db, ApplicationWithdrawn(source="test", data=data))
    api.set_now(at("2026-11-30"))

    case = (await api.client.get(f"/v1/cases/{application.data.application_id}", headers=CLERK)).json()

    assert case["status"] == "withdrawn"
    assert clocks(case)["decision"] == ("2026-10-19", None, "stopped", False)
    assert clocks(case)["notify"] == (None, None, "not_started", False)


async def _overdue_fixture(db: ServiceDatabase) -> list[str]:
    """Three cases routed on different days; on 10-28 the first two have run out of decision time."""
    ids = []
    for sequence, routed_on in ((1, "2026-10-12"), (2, "2026-09-29"), (3, "2026-10-27")):
        event = submitted(sequence=sequence, complete=at(routed_on))
        await apply(db, event, now=at(routed_on))
        ids.append(str(event.data.application_id))
    return ids


async def test_overdue_lists_cases_whose_decision_ran_out_oldest_first_masked(
    api: RoutingApi, db: ServiceDatabase
) -> None:
    late_second, late_first, on_time = await _overdue_fixture(db)
    api.set_now(at("2026-10-28"))

    response = await api.client.get("/v1/cases/overdue", headers=CHENGDU_COUNTY)

    assert response.status_code == 200, response.text
    page = response.json()
    assert (page["region"], page["as_of"]) == ("510104", "2026-10-28")
    assert [item["application_id"] for item in page["items"]] == [late_first, late_second]
    first = page["items"][0]
    assert (first["overdue_since"], first["breached"]) == ("2026-10-19", ["decision"])
    assert first["applicant_name"] == "张*三" and first["applicant_id_number"].count("*") == 10
    assert on_time not in response.text


async def test_overdue_is_paginated_with_a_cursor(api: RoutingApi, db: ServiceDatabase) -> None:
    _, late_first, _ = await _overdue_fixture(db)
    api.set_now(at("2026-10-28"))
    accepting_city = token_for(Role.PROVINCIAL_ADMIN, "230000")  # the accepting window's province

    page = (await api.client.get("/v1/cases/overdue?limit=1", headers=accepting_city)).json()
    rest = await api.client.get(f"/v1/cases/overdue?limit=1&cursor={page['next_cursor']}", headers=accepting_city)

    assert [i["application_id"] for i in page["items"]] == [late_first]
    assert len(rest.json()["items"]) == 1 and rest.json()["items"][0]["application_id"] != late_first


async def test_before_the_due_date_nothing_is_overdue(api: RoutingApi, db: ServiceDatabase) -> None:
    await _overdue_fixture(db)
    api.set_now(at("2026-10-19"))  # the first case's last day

    page = (await api.client.get("/v1/cases/overdue", headers=CHENGDU_COUNTY)).json()

    assert page["items"] == []


async def test_overdue_for_a_region_inside_the_callers_own(api: RoutingApi, db: ServiceDatabase) -> None:
    await _overdue_fixture(db)
    api.set_now(at("2026-10-28"))
    province = token_for(Role.AUDITOR, "510000")

    inside = await api.client.get("/v1/cases/overdue?region=510104", headers=province)
    other_county = await api.client.get("/v1/cases/overdue?region=510105", headers=province)

    assert len(inside.json()["items"]) == 2
    assert other_county.json()["items"] == []


async def test_overdue_outside_the_callers_region_or_for_a_clerk_is_403(api: RoutingApi) -> None:
    outside = await api.client.get("/v1/cases/overdue?region=440106", headers=CHENGDU_COUNTY)
    clerk = await api.client.get("/v1/cases/overdue", headers=CLERK)

    assert outside.status_code == 403 and "outside" in outside.json()["detail"]
    assert clerk.status_code == 403 and "window_clerk" in clerk.json()["detail"]


async def test_overdue_refuses_a_bad_region_or_cursor(api: RoutingApi) -> None:
    region = await api.client.get("/v1/cases/overdue?region=999999", headers=CHENGDU_COUNTY)
    cursor = await api.client.get("/v1/cases/overdue?cursor=nope", headers=CHENGDU_COUNTY)

    assert region.status_code == 422 and region.json()["errors"][0]["loc"] == ["query", "region"]
    assert cursor.status_code == 422 and cursor.json()["errors"][0]["loc"] == ["query", "cursor"]


async def test_a_case_is_visible_to_its_two_regions_only(api: RoutingApi, db: ServiceDatabase) -> None:
    application = submitted(hukou=CHENGDU_HUKOU)
    await apply(db, application)
    url = f"/v1/cases/{application.data.application_id}"

    assert (await api.client.get(url, headers=CHENGDU_COUNTY)).status_code == 200
    elsewhere = await api.client.get(url, headers=token_for(Role.COUNTY_CIVIL_AFFAIRS, "440106"))
    unknown = await api.client.get(f"/v1/cases/{uuid.uuid4()}", headers=CHENGDU_COUNTY)
    # Another area's case is answered as a case that does not exist.
    assert elsewhere.status_code == unknown.status_code == 404
    assert elsewhere.json()["detail"] == f"no case {application.data.application_id}"


async def test_a_case_file_is_not_for_another_provinces_system(api: RoutingApi, db: ServiceDatabase) -> None:
    application = submitted(hukou=CHENGDU_HUKOU)
    await apply(db, application)
    sichuan_system = token_for(Role.PROVINCE_SYSTEM, "510000", sub="sc-liangbu")

    answer = await api.client.get(f"/v1/cases/{application.data.application_id}", headers=sichuan_system)

    assert answer.status_code == 403
    assert "province_system" in answer.json()["detail"]
