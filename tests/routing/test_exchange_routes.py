"""The exchange API for provinces with their own systems (自建系统): decisions and cases coming in."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from subsidy_shared.auth import Role
from subsidy_shared.events import CaseResultReturned, CaseRouted
from subsidy_shared.ids import person_key
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET

from tests.conftest import ServiceDatabase, application_body, token_for
from tests.routing.conftest import (
    CHENGDU_HUKOU,
    GUANGZHOU_WINDOW,
    T0,
    ApiFactory,
    ProvinceSystemStub,
    RoutingApi,
    apply,
    at,
    case_row,
    decided,
    outbox_events,
    push,
    routed_to_guangdong,
    settings_for,
    submitted,
)

GUANGDONG = token_for(Role.PROVINCE_SYSTEM, "440000", sub="gd-liangbu")
# A case file is for officials: another province's system reads only through the exchange.
GUANGDONG_ADMIN = token_for(Role.PROVINCIAL_ADMIN, "440000", sub="gd-admin")
ZHEJIANG = token_for(Role.PROVINCE_SYSTEM, "330000", sub="zj-liangbu")


# ---- decisions coming in --------------------------------------------------------------------------


NOT_SEVERE = {"rule_id": "gd.nursing.grade", "text": "残疾等级不符合"}


def decision_body(application_id: uuid.UUID, nursing: str = "approved") -> dict[str, Any]:
    return {
        "application_id": str(application_id),
        "decided_at": "2026-10-09T01:00:00Z",
        "decided_by": "广州市天河区民政局",
        "outcomes": [
            {"subsidy": "living", "outcome": "refused", "reasons": [{"rule_id": "gd.living.dibao", "text": "非低保"}]},
            {"subsidy": "nursing", "outcome": nursing, "reasons": [] if nursing == "approved" else [NOT_SEVERE]},
        ],
    }


@pytest.fixture
async def guangdong_case(
    db: ServiceDatabase, province_system: ProvinceSystemStub, api_factory: ApiFactory
) -> tuple[RoutingApi, uuid.UUID]:
    """A case Guangdong's system has acknowledged; the API with Guangdong configured."""
    settings = settings_for(db, province_system)
    application_id = await routed_to_guangdong(db, province_system)
    await push(db, settings, T0)
    api = await api_factory(settings)
    api.set_now(at("2026-10-09"))
    return api, application_id


async def test_a_decision_from_the_province_returns_the_result_once(
    guangdong_case: tuple[RoutingApi, uuid.UUID], db: ServiceDatabase
) -> None:
    api, application_id = guangdong_case

    first = await api.client.post("/v1/exchange/decisions", json=decision_body(application_id), headers=GUANGDONG)
    again = await api.client.post("/v1/exchange/decisions", json=decision_body(application_id), headers=GUANGDONG)

    assert first.status_code == 200, first.text
    assert again.status_code == 200 and again.json() == first.json()
    assert first.json()["status"] == "decided" and first.json()["decided_by"] == "广州市天河区民政局"
    [result] = [e for e in await outbox_events(db) if isinstance(e, CaseResultReturned)]
    assert result.data.notify_due == date(2026, 10, 13)
    assert result.data.decided_at == at("2026-10-09", hour=1)
    assert [o.outcome for o in result.data.outcomes] == ["refused", "approved"]
    assert await db.scalar("SELECT count(*) FROM audit_log WHERE action = 'exchange.decision.record'") == 1


async def test_a_province_may_say_the_tier_amount_and_start_month_of_an_approval(
    guangdong_case: tuple[RoutingApi, uuid.UUID], db: ServiceDatabase
) -> None:
    api, application_id = guangdong_case
    body = decision_body(application_id)
    body["outcomes"][1] |= {"tier": "一级", "monthly_amount_fen": 25000, "start_month": "2026-09"}
    refusal_with_amount = decision_body(application_id)
    refusal_with_amount["outcomes"][0]["monthly_amount_fen"] = 100

    refused = await api.client.post("/v1/exchange/decisions", json=refusal_with_amount, headers=GUANGDONG)
    response = await api.client.post("/v1/exchange/decisions", json=body, headers=GUANGDONG)

    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"][:3] == ["body", "outcomes", 0]
    assert response.status_code == 200, response.text
    [result] = [e for e in await outbox_events(db) if isinstance(e, CaseResultReturned)]
    nursing = result.data.outcomes[1]
    assert (nursing.tier, nursing.monthly_amount_fen, nursing.start_month) == ("一级", 25000, "2026-09")
    assert result.data.outcomes[0].monthly_amount_fen is None


async def test_a_different_decision_for_a_decided_case_is_a_409(guangdong_case: tuple[RoutingApi, uuid.UUID]) -> None:
    api, application_id = guangdong_case
    await api.client.post("/v1/exchange/decisions", json=decision_body(application_id), headers=GUANGDONG)

    response = await api.client.post(
        "/v1/exchange/decisions", json=decision_body(application_id, nursing="refused"), headers=GUANGDONG
    )

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_another_provinces_system_may_not_decide(guangdong_case: tuple[RoutingApi, uuid.UUID]) -> None:
    api, application_id = guangdong_case

    other = await api.client.post("/v1/exchange/decisions", json=decision_body(application_id), headers=ZHEJIANG)
    unknown = await api.client.post("/v1/exchange/decisions", json=decision_body(uuid.uuid4()), headers=GUANGDONG)
    clerk = await api.client.post(
        "/v1/exchange/decisions", json=decision_body(application_id), headers=token_for(Role.WINDOW_CLERK, "440106001")
    )

    assert other.status_code == 403 and "outside the caller's province 33" in other.json()["detail"]
    assert unknown.status_code == 404
    assert clerk.status_code == 403 and "province_system" in clerk.json()["detail"]


async def test_a_decision_must_answer_every_subsidy_asked_for(guangdong_case: tuple[RoutingApi, uuid.UUID]) -> None:
    api, application_id = guangdong_case
    body = decision_body(application_id)
    body["outcomes"] = body["outcomes"][1:]

    response = await api.client.post("/v1/exchange/decisions", json=body, headers=GUANGDONG)

    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["body", "outcomes"]


async def test_a_case_decided_by_our_own_service_takes_no_province_decision(
    api: RoutingApi, db: ServiceDatabase
) -> None:
    application = submitted(hukou=CHENGDU_HUKOU)
    await apply(db, application)
    api.set_now(at("2026-10-09"))
    sichuan = token_for(Role.PROVINCE_SYSTEM, "510000")

    response = await api.client.post(
        "/v1/exchange/decisions", json=decision_body(application.data.application_id), headers=sichuan
    )

    assert response.status_code == 409


# ---- cases coming in -------------------------------------------------------------------------------


def exchange_case(external_id: str = "GD-2026-000123", **changes: Any) -> dict[str, Any]:
    """A case Guangdong's system accepted at a Guangzhou window for a person with a Chengdu hukou."""
    return {
        "external_id": external_id,
        "accepting_region": GUANGZHOU_WINDOW,
        "submitted_at": "2026-09-28T02:00:00Z",
        "materials_complete_at": "2026-09-29T02:00:00Z",
        **application_body(hukou=CHENGDU_HUKOU, sequence=40),
        **changes,
    }


@pytest.fixture
async def exchange_api(db: ServiceDatabase, province_system: ProvinceSystemStub, api_factory: ApiFactory) -> RoutingApi:
    api = await api_factory(settings_for(db, province_system))
    api.set_now(T0)
    return api


async def test_a_case_from_a_province_system_is_routed_once(exchange_api: RoutingApi, db: ServiceDatabase) -> None:
    body = exchange_case()

    first = await exchange_api.client.post("/v1/exchange/cases", json=body, headers=GUANGDONG)
    again = await exchange_api.client.post("/v1/exchange/cases", json=body, headers=GUANGDONG)

    assert first.status_code == 201, first.text
    assert again.status_code == 200 and again.json()["application_id"] == first.json()["application_id"]
    case = first.json()
    assert (case["status"], case["origin_system"], case["locality_county"]) == ("routed", "44", "510104")
    assert case["push_due"] == "2026-10-09"
    [routed] = await outbox_events(db)
    assert isinstance(routed, CaseRouted) and routed.data.external_system is None
    assert routed.data.application.accepting_region == GUANGZHOU_WINDOW
    assert routed.data.person_key == person_key(body["applicant"]["id_number"], DEV_PERSON_KEY_SECRET)
    assert await db.scalar("SELECT count(*) FROM audit_log WHERE action = 'exchange.case.accept'") == 1


async def test_a_reused_external_id_for_another_case_is_a_409(exchange_api: RoutingApi) -> None:
    await exchange_api.client.post("/v1/exchange/cases", json=exchange_case(), headers=GUANGDONG)

    response = await exchange_api.client.post(
        "/v1/exchange/cases", json=exchange_case(subsidies=["nursing"]), headers=GUANGDONG
    )

    assert response.status_code == 409


async def test_a_window_outside_the_callers_province_is_403(exchange_api: RoutingApi, db: ServiceDatabase) -> None:
    response = await exchange_api.client.post(
        "/v1/exchange/cases", json=exchange_case(accepting_region="230102001"), headers=GUANGDONG
    )

    assert response.status_code == 403 and "outside the caller's province 44" in response.json()["detail"]
    assert await db.scalar("SELECT count(*) FROM cases") == 0
    denied = "SELECT actor_sub FROM audit_log WHERE NOT allowed AND entity_id = '/v1/exchange/cases'"
    assert await db.scalar(denied) == "gd-liangbu"


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"applicant": {"id_number": "110105194912310021", "name": "张小三"}}, ["body", "applicant", "id_number"]),
        ({"hukou_region": "999999001"}, ["body", "hukou_region"]),
        ({"accepting_region": "440106"}, ["body", "accepting_region"]),
        ({"submitted_at": "2026-09-28T10:00:00"}, ["body", "submitted_at"]),
        ({"external_id": ""}, ["body", "external_id"]),
        ({"hukou_region": "440103001"}, ["body", "hukou_region"]),
    ],
    ids=[
        "bad-id-check-digit",
        "unknown-hukou",
        "window-not-a-township",
        "naive-time",
        "empty-external-id",
        "same-province",
    ],
)
async def test_bad_input_is_a_422_and_nothing_is_stored(
    exchange_api: RoutingApi, db: ServiceDatabase, change: dict[str, Any], loc: list[str]
) -> None:
    response = await exchange_api.client.post("/v1/exchange/cases", json=exchange_case(**change), headers=GUANGDONG)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert loc in [err["loc"][: len(loc)] for err in response.json()["errors"]]
    assert "110105194912310021" not in response.text  # the input is never echoed
    assert await db.scalar("SELECT count(*) FROM cases") == 0


async def test_only_a_province_system_with_a_province_token_hands_over_cases(exchange_api: RoutingApi) -> None:
    clerk = token_for(Role.WINDOW_CLERK, GUANGZHOU_WINDOW)
    county_token = token_for(Role.PROVINCE_SYSTEM, "440106")

    as_clerk = await exchange_api.client.post("/v1/exchange/cases", json=exchange_case(), headers=clerk)
    as_county = await exchange_api.client.post("/v1/exchange/cases", json=exchange_case(), headers=county_token)

    assert (as_clerk.status_code, as_county.status_code) == (403, 403)


async def test_the_result_of_an_exchanged_case_goes_back_to_its_province(
    exchange_api: RoutingApi, db: ServiceDatabase, province_system: ProvinceSystemStub
) -> None:
    created = (await exchange_api.client.post("/v1/exchange/cases", json=exchange_case(), headers=GUANGDONG)).json()
    application_id = uuid.UUID(created["application_id"])
    submitted_event = submitted(hukou=CHENGDU_HUKOU)
    as_routed = submitted_event.model_copy(
        update={"data": submitted_event.data.model_copy(update={"application_id": application_id})}
    )
    await apply(db, decided(as_routed, when=at("2026-10-09")), now=at("2026-10-09"), stub=province_system)
    pending = await case_row(db, "status")
    province_system.script = [500]

    await push(db, exchange_api.settings, at("2026-10-09"))
    await push(db, exchange_api.settings, at("2026-10-09") + timedelta(seconds=6))

    assert pending == "result_push_pending"
    assert await case_row(db, "status") == "result_pushed"
    assert [r.path for r in province_system.received] == ["/liangbu/results", "/liangbu/results"]
    body = province_system.received[-1].body
    assert (body["external_id"], body["notify_due"]) == ("GD-2026-000123", "2026-10-13")
    assert [o["outcome"] for o in body["outcomes"]] == ["refused", "approved"]
    assert len([e for e in await outbox_events(db) if isinstance(e, CaseResultReturned)]) == 1
    exchange_api.set_now(at("2026-11-30"))
    case = (await exchange_api.client.get(f"/v1/cases/{application_id}", headers=GUANGDONG_ADMIN)).json()
    assert case["deadlines"][2]["state"] == "external"  # Guangdong's window tells the applicant
