"""Text PostgreSQL cannot store, or that is not text, is a 422 naming the field, and nothing is written;
the overdue list is per county, city or province."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from subsidy_shared.auth import Role
from subsidy_shared.pagination import CURSOR_PATTERN

from tests.conftest import ServiceDatabase, application_body, token_for
from tests.hostile import HOSTILE, JSON, assert_refused, documented_pattern, raw_json, with_value
from tests.routing.conftest import (
    CHENGDU_HUKOU,
    GUANGZHOU_WINDOW,
    T0,
    ApiFactory,
    ProvinceSystemStub,
    RoutingApi,
    at,
    push,
    routed_to_guangdong,
    settings_for,
)

GUANGDONG = token_for(Role.PROVINCE_SYSTEM, "440000", sub="gd-liangbu")
CHENGDU_COUNTY = token_for(Role.COUNTY_CIVIL_AFFAIRS, "510104")
AGENT = {"id_number": "510104196005050882", "name": "李四", "relation": "family", "phone": "13900000000"}


async def _rows(db: ServiceDatabase) -> dict[str, Any]:
    return {
        "cases": await db.scalar("SELECT count(*) FROM cases"),
        "decided": await db.scalar("SELECT count(*) FROM cases WHERE decided_at IS NOT NULL"),
        "outbox": await db.scalar("SELECT count(*) FROM outbox"),
    }


@pytest.fixture
async def guangdong(db: ServiceDatabase, province_system: ProvinceSystemStub, api_factory: ApiFactory) -> RoutingApi:
    """The API with Guangdong's own system configured."""
    api = await api_factory(settings_for(db, province_system))
    api.set_now(T0)
    return api


def _exchange_case() -> dict[str, Any]:
    return {
        "external_id": "GD-2026-000777",
        "accepting_region": GUANGZHOU_WINDOW,
        "submitted_at": "2026-09-28T02:00:00Z",
        **application_body(hukou=CHENGDU_HUKOU, sequence=71),
        "agent": AGENT,
    }


CASE_FIELDS = [
    pytest.param(("applicant", "name"), "张{}三", id="applicant-name"),
    pytest.param(("agent", "name"), "李{}四", id="agent-name"),
    pytest.param(("agent", "phone"), "139{}00000000", id="agent-phone"),
    pytest.param(("bank_account", "bank"), "中国{}农业银行", id="bank-name"),
    pytest.param(("bank_account", "holder_name"), "张{}三", id="holder-name"),
]


@pytest.mark.parametrize("bad", HOSTILE)
@pytest.mark.parametrize(("path", "template"), CASE_FIELDS)
async def test_a_case_from_a_province_system_with_unstorable_or_control_text_is_refused(
    guangdong: RoutingApi, db: ServiceDatabase, path: tuple[str, ...], template: str, bad: str
) -> None:
    body = with_value(_exchange_case(), path, template.format(bad))

    response = await guangdong.client.post("/v1/exchange/cases", content=raw_json(body), headers=GUANGDONG | JSON)

    assert_refused(response, path[-1])
    assert await _rows(db) == {"cases": 0, "decided": 0, "outbox": 0}


async def test_the_case_used_above_is_otherwise_accepted(guangdong: RoutingApi) -> None:
    response = await guangdong.client.post("/v1/exchange/cases", json=_exchange_case(), headers=GUANGDONG)

    assert response.status_code == 201, response.text


def _decision(application_id: uuid.UUID) -> dict[str, Any]:
    return {
        "application_id": str(application_id),
        "decided_at": "2026-10-09T01:00:00Z",
        "decided_by": "广州市天河区民政局",
        "outcomes": [
            {"subsidy": "living", "outcome": "refused", "reasons": [{"rule_id": "gd.living.dibao", "text": "非低保"}]},
            {"subsidy": "nursing", "outcome": "approved", "reasons": []},
        ],
    }


DECISION_FIELDS = [
    pytest.param(("decided_by",), "广州市{}民政局", id="decided-by"),
    pytest.param(("outcomes", 0, "reasons", 0, "rule_id"), "gd.living{}.dibao", id="reason-rule-id"),
    pytest.param(("outcomes", 0, "reasons", 0, "text"), "非{}低保", id="reason-text"),
]


@pytest.mark.parametrize("bad", HOSTILE)
@pytest.mark.parametrize(("path", "template"), DECISION_FIELDS)
async def test_a_province_decision_with_unstorable_or_control_text_is_refused(
    db: ServiceDatabase,
    province_system: ProvinceSystemStub,
    api_factory: ApiFactory,
    path: tuple[str | int, ...],
    template: str,
    bad: str,
) -> None:
    settings = settings_for(db, province_system)
    application_id = await routed_to_guangdong(db, province_system)
    await push(db, settings, T0)
    api = await api_factory(settings)
    api.set_now(at("2026-10-09"))
    before = await _rows(db)
    body = with_value(_decision(application_id), path, template.format(bad))

    response = await api.client.post("/v1/exchange/decisions", content=raw_json(body), headers=GUANGDONG | JSON)

    assert_refused(response, path[-1])
    assert await _rows(db) == before and before["decided"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("region=%00", "region"),
        ("region=510104001", "region"),  # a township: the list is per county, city or province
        ("region=５１０１０４", "region"),
        ("cursor=%00", "cursor"),
        ("cursor=bm9%00", "cursor"),
    ],
    ids=["region-nul", "region-township", "region-full-width", "cursor-nul", "cursor-nul-after-base64"],
)
async def test_an_overdue_query_holding_a_nul_a_township_or_other_digits_is_a_422_and_its_form_is_documented(
    api: RoutingApi, query: str, field: str
) -> None:
    response = await api.client.get(f"/v1/cases/overdue?{query}", headers=CHENGDU_COUNTY)

    assert_refused(response, field)
    documented = {"region": "^[0-9]{6}$", "cursor": CURSOR_PATTERN}[field]  # a county, city or province
    assert await documented_pattern(api.client, "/v1/cases/overdue", field) == documented
