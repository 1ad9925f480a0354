"""Text PostgreSQL cannot store, or that is not text, is a 422 naming the field, and nothing is written;
a province is two ASCII digits (full-width ones are not)."""

from __future__ import annotations

from typing import Any

import pytest
from subsidy_shared.auth import Role
from subsidy_shared.pagination import CURSOR_PATTERN
from subsidy_shared.policy import PolicyVersion
from subsidy_shared.policy.examples import HEILONGJIANG_2016

from tests.conftest import ServiceDatabase, token_for
from tests.eligibility.conftest import CIVIL_AFFAIRS, TOWNSHIP, Api, arrive, certificate, dibao, person
from tests.hostile import HOSTILE, JSON, assert_refused, documented_pattern, raw_json, with_value

HL_ADMIN = token_for(Role.PROVINCIAL_ADMIN, "230000", sub="hl-admin")


async def _rows(db: ServiceDatabase) -> dict[str, int]:
    tables = ("case_reviews", "decisions", "policies", "outbox")
    return {t: await db.scalar(f"SELECT count(*) FROM {t}") for t in tables}


REASONS = [
    pytest.param("review", TOWNSHIP, {"outcome": "reject", "reason": "入户{}核查"}, id="review"),
    pytest.param("verify", TOWNSHIP, {"outcome": "pass", "reason": "等级{}相符"}, id="verify"),
    pytest.param("approve", CIVIL_AFFAIRS, {"outcome": "pass", "reason": "同意{}审定"}, id="approve"),
    pytest.param("publicity/objection", TOWNSHIP, {"reason": "群众{}异议"}, id="objection"),
]


@pytest.mark.parametrize("bad", HOSTILE)
@pytest.mark.parametrize(("act", "headers", "body"), REASONS)
async def test_a_reviewers_reason_with_unstorable_or_control_text_is_refused(
    api: Api, db: ServiceDatabase, act: str, headers: dict[str, str], body: dict[str, Any], bad: str
) -> None:
    who = person(61)
    case_id = await arrive(db, who, certificate(who), dibao(who))
    before = await _rows(db)
    hostile = with_value(body, ("reason",), body["reason"].format(bad))

    response = await api.client.post(f"/v1/cases/{case_id}/{act}", content=raw_json(hostile), headers=headers | JSON)

    assert_refused(response, "reason")
    assert await _rows(db) == before
    assert await db.scalar("SELECT step FROM cases") == "township_review"


@pytest.mark.parametrize("bad", HOSTILE)
async def test_a_bulk_approval_reason_with_unstorable_or_control_text_is_refused(
    api: Api, db: ServiceDatabase, bad: str
) -> None:
    who = person(62)
    case_id = await arrive(db, who, certificate(who), dibao(who))
    before = await _rows(db)
    body = {"application_ids": [case_id], "reason": f"批量{bad}审定"}

    response = await api.client.post("/v1/cases/approvals", content=raw_json(body), headers=CIVIL_AFFAIRS | JSON)

    assert_refused(response, "reason")
    assert await _rows(db) == before


def _policy() -> dict[str, Any]:
    body = HEILONGJIANG_2016.model_dump(mode="json") | {"version": "23-2027-01", "effective_from": "2027-01-01"}
    body["transition_periods"] = [{"from_month": "2027-02", "to_month": "2027-03", "reason": "疫情"}]
    return body


POLICY_FIELDS = [
    pytest.param(("version",), "23-2027{}-01", id="version"),
    pytest.param(("source",), "HL-2016{} 黑民规", id="source"),
    pytest.param(("living_tiers", 0, "label"), "全省{}统一", id="tier-label"),
    pytest.param(("transition_periods", 0, "reason"), "疫{}情", id="transition-reason"),
]


@pytest.mark.parametrize("bad", HOSTILE)
@pytest.mark.parametrize(("path", "template"), POLICY_FIELDS)
async def test_a_policy_with_unstorable_or_control_text_is_refused(
    api: Api, db: ServiceDatabase, path: tuple[str | int, ...], template: str, bad: str
) -> None:
    before = await _rows(db)
    body = with_value(_policy(), path, template.format(bad))

    response = await api.client.put("/v1/policies/23", content=raw_json(body), headers=HL_ADMIN | JSON)

    assert_refused(response, path[-1])
    assert await _rows(db) == before


def test_the_policy_used_above_is_otherwise_valid() -> None:
    assert PolicyVersion.model_validate(_policy()).version == "23-2027-01"


@pytest.mark.parametrize("province", ["２３", "2３", "٢٣"], ids=["full-width", "half-full-width", "arabic-indic"])
async def test_a_province_written_in_other_digits_is_a_422(api: Api, db: ServiceDatabase, province: str) -> None:
    before = await _rows(db)

    listed = await api.get(f"/v1/policies/{province}", HL_ADMIN)
    added = await api.client.put(f"/v1/policies/{province}", json=_policy(), headers=HL_ADMIN)

    assert_refused(listed, "province")
    assert_refused(added, "province")
    assert await _rows(db) == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("region=%00", "region"),
        ("region=２３０１０３", "region"),
        ("cursor=%00", "cursor"),
        ("cursor=bm9%00", "cursor"),
    ],
    ids=["region-nul", "region-full-width", "cursor-nul", "cursor-nul-after-base64"],
)
async def test_a_worklist_query_holding_a_nul_or_other_digits_is_a_422_and_its_form_is_documented(
    api: Api, query: str, field: str
) -> None:
    response = await api.client.get(f"/v1/cases?{query}", headers=CIVIL_AFFAIRS)

    assert_refused(response, field)
    documented = {"region": "^[0-9]{6}([0-9]{3}){0,2}$", "cursor": CURSOR_PATTERN}[field]
    assert await documented_pattern(api.client, "/v1/cases", field) == documented
