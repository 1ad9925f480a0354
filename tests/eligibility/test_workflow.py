"""The review workflow over HTTP: 审核 → 残联审核 → 审定, delegation, rejections, overrules, denials."""

from __future__ import annotations

import uuid
from typing import Any

from subsidy_shared.auth import Role
from subsidy_shared.events import EligibilityDecided
from subsidy_shared.policy.examples import HEILONGJIANG_2016

from tests.conftest import ServiceDatabase, token_for
from tests.eligibility.conftest import (
    CHENGDU_TOWNSHIP,
    CIVIL_AFFAIRS,
    FEDERATION,
    HARBIN_WINDOW,
    OTHER_COUNTY,
    TOWNSHIP,
    Api,
    arrive,
    audit_rows,
    certificate,
    dibao,
    outbox_events,
    person,
)

PASS = {"outcome": "pass"}


async def decided_events(db: ServiceDatabase) -> list[EligibilityDecided]:
    return [e for e in await outbox_events(db) if isinstance(e, EligibilityDecided)]


def by_subsidy(event: EligibilityDecided) -> dict[str, Any]:
    return {d.subsidy: d for d in event.data.decisions}


async def test_review_verify_approve_decides_once_with_the_heilongjiang_amounts(api: Api, db: ServiceDatabase) -> None:
    who = person(1)
    case_id = await arrive(db, who, certificate(who), dibao(who))

    reviewed = await api.post(f"/v1/cases/{case_id}/review", TOWNSHIP, PASS)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["step"] == "county_verification"
    verified = await api.post(f"/v1/cases/{case_id}/verify", FEDERATION, PASS)
    assert verified.json()["step"] == "county_approval"
    approved = await api.post(f"/v1/cases/{case_id}/approve", CIVIL_AFFAIRS, PASS)

    assert approved.status_code == 200, approved.text
    case = approved.json()
    assert case["step"] == "decided"
    assert case["decision_clock"]["state"] == "on_time" and case["decision_clock"]["done_on"] == "2026-11-25"
    assert [r["step"] for r in case["reviews"]] == ["township_review", "county_verification", "county_approval"]
    [event] = await decided_events(db)
    decisions = by_subsidy(event)
    assert (decisions["living"].outcome, decisions["living"].monthly_amount_fen) == ("approved", 8000)
    assert (decisions["nursing"].outcome, decisions["nursing"].monthly_amount_fen) == ("approved", 10000)
    assert decisions["living"].start_month == decisions["nursing"].start_month == "2026-11"
    assert "E1.living.dibao" in [r.rule_id for r in decisions["living"].reasons]
    assert "E2.nursing.grade" in [r.rule_id for r in decisions["nursing"].reasons]
    assert event.data.policy_version == HEILONGJIANG_2016.version
    assert event.data.decided_by == "county-civil-affairs"
    assert event.data.beneficiary.id_number == who.id_number
    assert event.data.certificate_number == who.body["certificate_number"]
    assert event.person_key == who.key  # the bus key, never the ID number
    assert await db.scalar("SELECT count(*) FROM beneficiaries WHERE person_key = :k", k=who.key) == 2

    again = await api.post(f"/v1/cases/{case_id}/approve", CIVIL_AFFAIRS, PASS)
    assert again.status_code == 409
    assert len(await decided_events(db)) == 1


async def test_where_approval_is_delegated_the_township_review_alone_decides(api: Api, db: ServiceDatabase) -> None:
    admin = token_for(Role.PROVINCIAL_ADMIN, "510000", sub="sichuan-admin")
    sichuan = HEILONGJIANG_2016.model_dump(mode="json") | {
        "province": "51",
        "version": "51-2020-01",
        "effective_from": "2020-01-01",  # the province's first version may start in the past
        "approval_delegated_to_township": True,
    }
    created = await api.client.put("/v1/policies/51", json=sichuan, headers=admin)
    assert created.status_code == 201, created.text
    who = person(2, hukou=CHENGDU_TOWNSHIP)
    case_id = await arrive(db, who, certificate(who), dibao(who))
    chengdu_township = token_for(Role.TOWNSHIP_REVIEWER, CHENGDU_TOWNSHIP, sub="chengdu-township")

    response = await api.post(f"/v1/cases/{case_id}/review", chengdu_township, PASS)

    assert response.status_code == 200, response.text
    assert response.json()["step"] == "decided"
    [event] = await decided_events(db)
    assert event.data.decided_by == "chengdu-township" and event.data.policy_version == "51-2020-01"
    assert {d.outcome for d in event.data.decisions} == {"approved"}


async def test_a_rejection_needs_a_reason_and_refuses_every_subsidy_with_it(api: Api, db: ServiceDatabase) -> None:
    who = person(3)
    case_id = await arrive(db, who, certificate(who), dibao(who))

    bare = await api.post(f"/v1/cases/{case_id}/review", TOWNSHIP, {"outcome": "reject"})
    assert bare.status_code == 422
    assert bare.json()["errors"][0]["loc"] == ["body", "reason"]
    assert await decided_events(db) == []

    rejected = await api.post(
        f"/v1/cases/{case_id}/review", TOWNSHIP, {"outcome": "reject", "reason": "入户核查不属实"}
    )

    assert rejected.json()["step"] == "decided"
    [event] = await decided_events(db)
    for decision in event.data.decisions:
        assert decision.outcome == "refused"
        assert [(r.rule_id, r.text) for r in decision.reasons] == [("review.township_review.reject", "入户核查不属实")]
    assert await db.scalar("SELECT count(*) FROM beneficiaries") == 0


async def test_going_against_the_recommendation_needs_a_reason_and_is_audited(api: Api, db: ServiceDatabase) -> None:
    who = person(4)
    case_id = await arrive(db, who, certificate(who))  # no 低保: living is recommended refused
    await api.post(f"/v1/cases/{case_id}/review", TOWNSHIP, PASS)
    await api.post(f"/v1/cases/{case_id}/verify", FEDERATION, PASS)
    overrule = {"outcome": "pass", "subsidies": {"living": "approve"}}

    bare = await api.post(f"/v1/cases/{case_id}/approve", CIVIL_AFFAIRS, overrule)
    assert bare.status_code == 422 and bare.json()["errors"][0]["loc"] == ["body", "reason"]

    reason = "低保审批已通过，系统尚未同步"
    response = await api.post(f"/v1/cases/{case_id}/approve", CIVIL_AFFAIRS, overrule | {"reason": reason})

    assert response.status_code == 200, response.text
    [event] = await decided_events(db)
    living = by_subsidy(event)["living"]
    assert (living.outcome, living.monthly_amount_fen, living.tier) == ("approved", 8000, "living.all")
    assert [r.rule_id for r in living.reasons] == ["review.overrule", "standard.living.all"]
    assert by_subsidy(event)["nursing"].outcome == "approved"  # followed the recommendation
    [audited] = [r for r in await audit_rows(db, case_id) if r["action"] == "overrule"]
    assert audited["before"] == {"recommended": "refused", "rule_ids": ["E1.living.not_dibao"]}
    assert audited["after"] == {"subsidy": "living", "decided": "approved", "reason": reason}
    assert audited["actor_sub"] == "county-civil-affairs" and audited["allowed"] is True


async def test_an_act_at_the_wrong_step_is_a_conflict(api: Api, db: ServiceDatabase) -> None:
    who = person(5)
    case_id = await arrive(db, who, certificate(who), dibao(who))

    early_verify = await api.post(f"/v1/cases/{case_id}/verify", FEDERATION, PASS)
    early_approve = await api.post(f"/v1/cases/{case_id}/approve", CIVIL_AFFAIRS, PASS)
    await api.post(f"/v1/cases/{case_id}/review", TOWNSHIP, PASS)
    twice = await api.post(f"/v1/cases/{case_id}/review", TOWNSHIP, PASS)

    assert (early_verify.status_code, early_approve.status_code, twice.status_code) == (409, 409, 409)
    assert early_verify.json()["step"] == "township_review"


async def test_a_window_clerk_and_another_countys_official_are_refused_and_audited(
    api: Api, db: ServiceDatabase
) -> None:
    who = person(6)
    case_id = await arrive(db, who, certificate(who), dibao(who))
    await api.post(f"/v1/cases/{case_id}/review", TOWNSHIP, PASS)
    await api.post(f"/v1/cases/{case_id}/verify", FEDERATION, PASS)
    clerk = token_for(Role.WINDOW_CLERK, HARBIN_WINDOW, sub="clerk")
    elsewhere = token_for(Role.COUNTY_CIVIL_AFFAIRS, OTHER_COUNTY, sub="daoli-civil-affairs")

    by_clerk = await api.post(f"/v1/cases/{case_id}/approve", clerk, PASS)
    by_other_county = await api.post(f"/v1/cases/{case_id}/approve", elsewhere, PASS)

    assert by_clerk.status_code == 403
    assert "window_clerk" in by_clerk.json()["detail"]
    # Outside its region a case is answered as one that does not exist; the denial is still audited.
    missing = await api.post(f"/v1/cases/{uuid.uuid4()}/approve", elsewhere, PASS)
    assert by_other_county.status_code == missing.status_code == 404
    assert by_other_county.json()["detail"] == f"no case {case_id}"
    assert missing.json()["title"] == by_other_county.json()["title"]
    denied = [r for r in await audit_rows(db, case_id + "/approve") if r["allowed"] is False]
    assert [(r["actor_sub"], r["action"]) for r in denied] == [
        ("clerk", "denied POST"),
        ("daoli-civil-affairs", "denied POST"),
    ]
    assert await decided_events(db) == []
