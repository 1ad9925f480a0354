"""Eligibility end to end: registry facts → pre-check → three-level review → decision back at the window."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from subsidy_shared.auth import Role
from subsidy_shared.events import RegistryRecordChanged, RegistryRecordChangedData, encode_event
from subsidy_shared.ids import person_key
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET
from subsidy_shared.workdays import china_date

from tests.conftest import application_body, submit_complete, token_for
from tests.e2e.conftest import System, eventually

HARBIN = "230103002"  # 南岗区 township: hukou and window of the Heilongjiang personas
SHANGHAI = "310101002"  # 黄浦区 township


def _record(id_number: str, kind: str, facts: dict[str, Any], region: str) -> RegistryRecordChanged:
    key = person_key(id_number, DEV_PERSON_KEY_SECRET)
    data = RegistryRecordChangedData(
        source="e2e-registry",
        record_id=f"{kind}-{id_number[-6:]}",
        record_kind=kind,
        change="issued",
        person_key=key,
        id_number=id_number,
        region=region,
        facts=facts,
        observed_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    return RegistryRecordChanged(source="liangbu/review", data=data)


POLICY_AMOUNTS = {"23": {"living": 8000, "nursing": 10000}, "31": {"nursing": 18000}}
PERSONAS = [
    # (id, hukou, category, grade, household records, expected outcomes, rule ids that must decide)
    pytest.param(
        HARBIN,
        4,
        1,
        ["dibao"],
        {"living": "approved", "nursing": "approved"},
        {"E1.living.dibao", "E2.nursing.grade"},
        id="grade1-physical-dibao-gets-both",
    ),
    pytest.param(
        HARBIN,
        4,
        1,
        ["dibao", "tekun"],
        {"living": "refused", "nursing": "refused"},
        {"X1.tekun"},
        id="tekun-gets-neither",
    ),
    pytest.param(
        HARBIN, 4, 1, ["orphan"], {"living": "refused", "nursing": "approved"}, {"X3.orphan"}, id="orphan-nursing-only"
    ),
    pytest.param(
        SHANGHAI,
        5,
        3,
        [],
        {"living": "refused", "nursing": "approved"},
        {"E6.nursing.extension"},
        id="grade3-intellectual-nursing-only-in-shanghai",
    ),
]


@pytest.mark.parametrize(("hukou", "category", "grade", "households", "expected", "rule_ids"), PERSONAS)
async def test_registry_facts_decide_each_subsidy_through_the_three_levels(
    system: System,
    http: httpx.AsyncClient,
    request: pytest.FixtureRequest,
    hukou: str,
    category: int,
    grade: int,
    households: list[str],
    expected: dict[str, str],
    rule_ids: set[str],
) -> None:
    sequence = 4000 + PERSONAS.index(next(p for p in PERSONAS if p.id == request.node.callspec.id))
    body = application_body(hukou=hukou, sequence=sequence, category=category, grade=grade)
    id_number = body["applicant"]["id_number"]
    certificate = {
        "category": category,
        "grade": grade,
        "generation": 2,
        "issued_on": "2020-01-01",
        "expires_on": "2030-01-01",
    }
    for kind, facts in [("certificate", certificate), *[(h, {}) for h in households]]:
        event = _record(id_number, kind, facts, hukou)
        await system.produce("subsidy.registry", encode_event(event), key=(event.key or "").encode())

    clerk = token_for(Role.WINDOW_CLERK, hukou)
    application_id = await submit_complete(http, system.url("intake"), clerk, body)
    eligibility = system.url("eligibility")
    case_url = f"{eligibility}/v1/cases/{application_id}"
    township = token_for(Role.TOWNSHIP_REVIEWER, hukou)

    async def prechecked() -> dict[str, Any] | None:
        response = await http.get(case_url, headers=township)
        case = response.json() if response.status_code == 200 else None
        return case if case and case.get("recommended") == expected else None

    case = await eventually(prechecked)
    assert case["step"] == "township_review"
    assert case["decision_clock"]["state"] in ("on_time", "at_risk")

    clerk_approves = await http.post(f"{case_url}/approve", json={"outcome": "pass"}, headers=clerk)
    other_county = await http.post(
        f"{case_url}/approve", json={"outcome": "pass"}, headers=token_for(Role.COUNTY_CIVIL_AFFAIRS, "440106")
    )
    assert clerk_approves.status_code == 403 and other_county.status_code == 404  # another area: as if unknown
    denials = await system.databases["eligibility"].scalar(
        "SELECT count(*) FROM audit_log WHERE allowed IS FALSE AND entity_id LIKE :path", path=f"%{application_id}%"
    )
    assert denials == 2

    county = hukou[:6]
    for step, role, region in (
        ("review", Role.TOWNSHIP_REVIEWER, hukou),
        ("verify", Role.COUNTY_DISABILITY_FEDERATION, county),
        ("approve", Role.COUNTY_CIVIL_AFFAIRS, county),
    ):
        response = await http.post(f"{case_url}/{step}", json={"outcome": "pass"}, headers=token_for(role, region))
        assert response.status_code == 200, (step, response.text)

    async def back_at_the_window() -> dict[str, Any] | None:
        detail = (await http.get(f"{system.url('intake')}/v1/applications/{application_id}", headers=clerk)).json()
        return detail if detail["status"] == "decided" else None

    detail = await eventually(back_at_the_window)
    assert {o["subsidy"]: o["outcome"] for o in detail["decision"]["outcomes"]} == expected

    decided = [
        e
        for e in await system.events("subsidy.decisions", "subsidy.eligibility.decided.v1")
        if e.subject == application_id
    ]
    assert len(decided) == 1
    used = {reason.rule_id for decision in decided[0].data.decisions for reason in decision.reasons}
    assert rule_ids <= used, used
    handed_in = china_date(datetime.fromisoformat(detail["submitted_at"])).strftime("%Y-%m")
    for decision in decided[0].data.decisions:
        if decision.outcome == "approved":
            # Heilongjiang floors (80 / 100 元); Shanghai from 2025-07 pays 180 元 for grade 2 and grade-3 intellectual.
            assert decision.monthly_amount_fen == POLICY_AMOUNTS[hukou[:2]][decision.subsidy]
            assert decision.start_month == handed_in  # paid from the month it was handed in, not decided
