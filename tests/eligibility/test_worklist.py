"""The reviewers' worklist, and bulk approval (批量审定) of what it shows."""

from __future__ import annotations

from subsidy_shared.auth import Role
from subsidy_shared.events import EligibilityDecided

from tests.conftest import ServiceDatabase, token_for
from tests.eligibility.conftest import (
    CIVIL_AFFAIRS,
    FEDERATION,
    HARBIN_WINDOW,
    TOWNSHIP,
    Api,
    arrive,
    at,
    audit_rows,
    certificate,
    dibao,
    outbox_events,
    person,
)

PASS = {"outcome": "pass"}


async def test_the_worklist_shows_the_soonest_decision_first_with_personal_data_masked(
    api: Api, db: ServiceDatabase
) -> None:
    late = await arrive(db, person(21), received_at=at("2026-11-24"))
    early = await arrive(db, person(22), received_at=at("2026-11-17"))
    middle = await arrive(db, person(23), received_at=at("2026-11-20"))
    elsewhere = await arrive(db, person(24, hukou="230102003"))

    response = await api.get("/v1/cases", CIVIL_AFFAIRS)

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["application_id"] for i in items] == [early, middle, late]
    assert elsewhere not in [i["application_id"] for i in items]
    first = items[0]
    assert first["applicant_name"] == "张*三"
    assert first["applicant_id_number"].count("*") == 10
    assert "id_number" not in str(first).replace("applicant_id_number", "")
    assert first["decision_due"] == "2026-12-01"
    assert first["decision_clock"]["state"] == "on_time"


async def test_the_worklist_pages_with_a_cursor_and_filters_by_step(api: Api, db: ServiceDatabase) -> None:
    ids = [await arrive(db, person(30 + n), received_at=at(f"2026-11-{16 + n}")) for n in range(3)]
    await api.post(f"/v1/cases/{ids[0]}/review", TOWNSHIP, PASS)

    waiting = {"step": "township_review", "limit": 1}
    first = (await api.get("/v1/cases", TOWNSHIP, **waiting)).json()
    second = (await api.get("/v1/cases", TOWNSHIP, **waiting, cursor=first["next_cursor"])).json()
    every_open = (await api.get("/v1/cases", TOWNSHIP)).json()
    at_federation = (await api.get("/v1/cases", FEDERATION, step="county_verification")).json()

    assert [i["application_id"] for i in first["items"] + second["items"]] == ids[1:]
    assert [i["application_id"] for i in at_federation["items"]] == ids[:1]
    assert [i["application_id"] for i in every_open["items"]] == ids  # by default every open step


async def test_the_worklist_is_for_reviewers_inside_their_region(api: Api) -> None:
    clerk = token_for(Role.WINDOW_CLERK, HARBIN_WINDOW)

    assert (await api.get("/v1/cases", clerk)).status_code == 403
    assert (await api.get("/v1/cases", CIVIL_AFFAIRS, region="230102")).status_code == 403
    assert (await api.get("/v1/cases", CIVIL_AFFAIRS, region="2301")).status_code == 422
    assert (await api.get("/v1/cases", CIVIL_AFFAIRS, cursor="nonsense")).status_code == 422


async def test_the_counts_per_step_count_every_open_case_of_the_region(api: Api, db: ServiceDatabase) -> None:
    ids = [await arrive(db, person(70 + n)) for n in range(3)]
    await arrive(db, person(73, hukou="230102003"))  # another county: not counted
    await api.post(f"/v1/cases/{ids[0]}/review", TOWNSHIP, PASS)

    response = await api.get("/v1/cases/counts", CIVIL_AFFAIRS)
    township = (await api.get("/v1/cases/counts", CIVIL_AFFAIRS, region="230103002")).json()

    assert response.status_code == 200, response.text
    assert response.json() == {
        "region": "230103",
        "counts": {"township_review": 2, "county_verification": 1, "county_approval": 0, "publicity": 0},
    }
    assert township["region"] == "230103002" and township["counts"]["township_review"] == 2


async def test_the_counts_are_for_reviewers_inside_their_region(api: Api) -> None:
    clerk = token_for(Role.WINDOW_CLERK, HARBIN_WINDOW)

    assert (await api.get("/v1/cases/counts", clerk)).status_code == 403
    assert (await api.get("/v1/cases/counts", CIVIL_AFFAIRS, region="230102")).status_code == 403
    assert (await api.get("/v1/cases/counts", CIVIL_AFFAIRS, region="2301")).status_code == 422


async def test_a_case_near_its_due_date_is_at_risk_and_past_it_breached(api: Api, db: ServiceDatabase) -> None:
    case_id = await arrive(db, person(25), received_at=at("2026-11-10"))  # due 2026-11-24

    api.clock.now = at("2026-11-23")
    at_risk = (await api.get(f"/v1/cases/{case_id}", TOWNSHIP)).json()["decision_clock"]
    api.clock.now = at("2026-11-25")
    breached = (await api.get(f"/v1/cases/{case_id}", TOWNSHIP)).json()["decision_clock"]

    assert (at_risk["due"], at_risk["state"], breached["state"]) == ("2026-11-24", "at_risk", "breached")


async def _at_approval(api: Api, case_id: str) -> None:
    for path, token in (("review", TOWNSHIP), ("verify", FEDERATION)):
        assert (await api.post(f"/v1/cases/{case_id}/{path}", token, PASS)).status_code == 200


async def test_bulk_approval_decides_each_case_at_approval_and_skips_the_rest_with_why(
    api: Api, db: ServiceDatabase
) -> None:
    ready = []
    for sequence in (41, 42):
        who = person(sequence)
        case_id = await arrive(db, who, certificate(who), dibao(who))
        await _at_approval(api, case_id)
        ready.append(case_id)
    waiting = await arrive(db, person(43))
    outside = await arrive(db, person(44, hukou="230102003"))
    unknown = "00000000-0000-0000-0000-000000000000"

    response = await api.post(
        "/v1/cases/approvals", CIVIL_AFFAIRS, {"application_ids": [*ready, waiting, outside, unknown]}
    )

    assert response.status_code == 200, response.text
    results = {r["application_id"]: r for r in response.json()["results"]}
    assert [results[i]["result"] for i in ready] == ["approved", "approved"]
    assert results[ready[0]]["step"] == "decided"
    assert results[waiting]["result"] == "skipped" and "township_review" in results[waiting]["why"]
    assert results[outside]["result"] == "skipped" and results[outside]["why"] == f"no case {outside}"
    assert results[unknown]["result"] == "skipped" and "no case" in results[unknown]["why"]
    decided = [e for e in await outbox_events(db) if isinstance(e, EligibilityDecided)]
    assert sorted(str(e.data.application_id) for e in decided) == sorted(ready)
    assert [r["allowed"] for r in await audit_rows(db, outside)] == [False]


async def test_bulk_approval_is_for_county_civil_affairs_only(api: Api) -> None:
    response = await api.post("/v1/cases/approvals", TOWNSHIP, {"application_ids": [str(api.clock.now.year)]})
    assert response.status_code == 422  # not an id: the body is checked first

    response = await api.post(
        "/v1/cases/approvals", TOWNSHIP, {"application_ids": ["00000000-0000-0000-0000-000000000000"]}
    )
    assert response.status_code == 403


async def test_each_case_says_whether_a_policy_was_in_force_on_its_application_day(
    api: Api, db: ServiceDatabase
) -> None:
    # Heilongjiang's first version starts 2016-01-01: an application of 2015 has none to be judged by.
    before = person(60)
    too_early = await arrive(db, before, certificate(before), dibao(before), submitted_at=at("2015-06-01"))
    current = await arrive(db, person(61))

    items = {i["application_id"]: i for i in (await api.get("/v1/cases", CIVIL_AFFAIRS)).json()["items"]}
    case = (await api.get(f"/v1/cases/{too_early}", CIVIL_AFFAIRS)).json()

    assert items[too_early]["policy_state"] == "none_in_force"
    assert items[current]["policy_state"] == "in_force"
    assert case["policy_state"] == "none_in_force" and case["precheck"]["recommendations"] == []
    assert case["precheck"]["error"].startswith("no policy in force on the application day")
    assert "the first starts 2016-01-01" in case["precheck"]["error"]
    assert (await api.get(f"/v1/cases/{current}", CIVIL_AFFAIRS)).json()["policy_state"] == "in_force"
