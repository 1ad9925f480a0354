"""The automatic pre-check on a routed case, shown to reviewers, and the decisions it leads to."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from subsidy_shared.auth import Role
from subsidy_shared.events import EligibilityDecided

from tests.conftest import ServiceDatabase, token_for, while_uncommitted
from tests.eligibility.conftest import (
    CHENGDU_TOWNSHIP,
    CIVIL_AFFAIRS,
    FEDERATION,
    SHANGHAI_TOWNSHIP,
    TOWNSHIP,
    Api,
    apply,
    arrive,
    at,
    certificate,
    dibao,
    handled,
    outbox_events,
    person,
    record,
    routed,
)

PASS = {"outcome": "pass"}


async def decide_through(api: Api, case_id: str, township: dict[str, str] = TOWNSHIP, county: str = "") -> Any:
    """Review, verify and approve as recommended; returns the one eligibility.decided event."""
    federation, civil = FEDERATION, CIVIL_AFFAIRS
    if county:
        federation = token_for(Role.COUNTY_DISABILITY_FEDERATION, county)
        civil = token_for(Role.COUNTY_CIVIL_AFFAIRS, county)
    for path, token in (("review", township), ("verify", federation), ("approve", civil)):
        response = await api.post(f"/v1/cases/{case_id}/{path}", token, PASS)
        assert response.status_code == 200, response.text
    [event] = [e for e in await outbox_events(api.db) if isinstance(e, EligibilityDecided)]
    return event


def outcomes(event: EligibilityDecided) -> dict[str, tuple[str, int | None, list[str]]]:
    return {d.subsidy: (d.outcome, d.monthly_amount_fen, [r.rule_id for r in d.reasons]) for d in event.data.decisions}


async def recommended(api: Api, case_id: str) -> dict[str, dict[str, Any]]:
    case = (await api.get(f"/v1/cases/{case_id}", TOWNSHIP)).json()
    return {r["subsidy"]: r for r in case["precheck"]["recommendations"]}


async def test_the_precheck_is_stored_with_rules_reasons_tier_amount_and_facts(api: Api, db: ServiceDatabase) -> None:
    who = person(11)
    case_id = await arrive(db, who, certificate(who), dibao(who))

    case = (await api.get(f"/v1/cases/{case_id}", TOWNSHIP)).json()

    assert case["step"] == "township_review"
    check = case["precheck"]
    assert (check["on"], check["policy_version"], check["error"]) == ("2026-11-23", "23-2016-01", None)
    living, nursing = check["recommendations"]
    assert (living["subsidy"], living["outcome"], living["tier"], living["monthly_amount_fen"]) == (
        "living",
        "approved",
        "living.all",
        8000,
    )
    assert living["rule_ids"][:3] == ["E4.certificate", "E5.hukou", "E1.living.dibao"]
    assert living["reasons"][2]["text"] == "低保家庭中的残疾人"
    assert nursing["facts_used"]["long_term_care"] is True  # derived from the grade-1 certificate
    assert nursing["facts_used"]["household_statuses"] == ["dibao"]
    assert nursing["facts_used"]["certificate"]["grade"] == 1
    assert case["decision_clock"] == {"name": "decision", "due": "2026-12-08", "done_on": None, "state": "on_time"}
    assert case["recommended"] == {"living": "approved", "nursing": "approved"}


async def test_tekun_refuses_both_subsidies_x1(api: Api, db: ServiceDatabase) -> None:
    who = person(12)
    tekun = record(who, "tekun", "started", effective=date(2025, 6, 1))
    case_id = await arrive(db, who, certificate(who), dibao(who), tekun)

    event = await decide_through(api, case_id)

    got = outcomes(event)
    assert got["living"][0] == got["nursing"][0] == "refused"
    assert "X1.tekun" in got["living"][2] and "X1.tekun" in got["nursing"][2]


async def test_an_orphan_gets_nursing_only_x3(api: Api, db: ServiceDatabase) -> None:
    who = person(13)
    orphan = record(who, "orphan", "started", effective=date(2019, 1, 1))
    case_id = await arrive(db, who, certificate(who), dibao(who), orphan)

    event = await decide_through(api, case_id)

    got = outcomes(event)
    assert got["living"] == ("refused", None, ["X3.orphan"])
    assert got["nursing"][:2] == ("approved", 10000)
    assert {"E2.nursing.grade", "X3.orphan", "standard.nursing.all"} <= set(got["nursing"][2])


async def test_shanghai_grade3_intellectual_gets_nursing_only(api: Api, db: ServiceDatabase) -> None:
    who = person(14, hukou=SHANGHAI_TOWNSHIP, category=5, grade=3)
    case_id = await arrive(db, who, certificate(who, category=5, grade=3))
    township = token_for(Role.TOWNSHIP_REVIEWER, SHANGHAI_TOWNSHIP)

    event = await decide_through(api, case_id, township=township, county="310101")

    got = outcomes(event)
    assert got["living"] == ("refused", None, ["E1.living.not_dibao"])
    assert got["nursing"][:2] == ("approved", 18000)  # 31-2025-07: 三级智力 180 元
    assert {"E6.nursing.extension", "standard.nursing.grade3_intellectual_mental"} <= set(got["nursing"][2])
    assert event.data.policy_version == "31-2025-07"


async def test_a_registry_fact_arriving_while_the_case_is_open_reruns_the_precheck(
    api: Api, db: ServiceDatabase
) -> None:
    who = person(15)
    case_id = await arrive(db, who, certificate(who))
    assert (await recommended(api, case_id))["living"]["outcome"] == "refused"

    await apply(db, dibao(who, observed=at("2026-11-24", 5)))

    assert (await recommended(api, case_id))["living"]["outcome"] == "approved"


@pytest.mark.parametrize("case_first", [True, False], ids=["case-uncommitted", "registry-uncommitted"])
async def test_a_registry_fact_applied_by_another_replica_as_the_case_arrives_is_in_its_precheck(
    api: Api, db: ServiceDatabase, case_first: bool
) -> None:
    who = person(18)
    await apply(db, certificate(who))
    case, fact = routed(who), dibao(who, observed=at("2026-11-24", 1))
    first, second = (case, fact) if case_first else (fact, case)

    await while_uncommitted(db, handled(first), lambda: apply(db, second))

    assert (await recommended(api, str(case.data.application_id)))["living"]["outcome"] == "approved"


async def test_without_a_certificate_in_the_registry_both_are_refused_e4(api: Api, db: ServiceDatabase) -> None:
    who = person(16)
    case_id = await arrive(db, who, dibao(who))

    got = await recommended(api, case_id)

    assert got["living"]["rule_ids"] == got["nursing"]["rule_ids"] == ["E4.certificate.missing"]


async def test_a_declared_lack_of_long_term_care_reruns_on_demand_e3(api: Api, db: ServiceDatabase) -> None:
    who = person(17)
    case_id = await arrive(db, who, certificate(who), dibao(who))

    response = await api.post(f"/v1/cases/{case_id}/precheck", TOWNSHIP, {"long_term_care": False})

    assert response.status_code == 200, response.text
    case = response.json()
    assert case["long_term_care_declared"] is False
    nursing = next(r for r in case["precheck"]["recommendations"] if r["subsidy"] == "nursing")
    assert nursing["outcome"] == "refused" and nursing["rule_ids"] == ["E3.long_term_care"]


async def test_a_province_without_a_policy_is_kept_with_the_reason_and_can_only_be_refused(
    api: Api, db: ServiceDatabase
) -> None:
    who = person(18, hukou=CHENGDU_TOWNSHIP)
    case_id = await arrive(db, who, certificate(who), dibao(who))
    township = token_for(Role.TOWNSHIP_REVIEWER, CHENGDU_TOWNSHIP)
    county = token_for(Role.COUNTY_CIVIL_AFFAIRS, "510104")

    case = (await api.get(f"/v1/cases/{case_id}", township)).json()
    assert case["policy_state"] == "none_in_force"
    assert case["precheck"]["error"] == (
        "no policy in force on the application day: no recommendation, no amount; reviewers decide by hand"
        " (no policy is recorded for province 51)"
    )
    assert case["precheck"]["recommendations"] == []
    await api.post(f"/v1/cases/{case_id}/review", township, PASS)
    await api.post(f"/v1/cases/{case_id}/verify", token_for(Role.COUNTY_DISABILITY_FEDERATION, "510104"), PASS)

    as_recommended = await api.post(f"/v1/cases/{case_id}/approve", county, PASS)
    assert as_recommended.status_code == 422
    approving = {"outcome": "pass", "reason": "核实", "subsidies": {"living": "approve", "nursing": "approve"}}
    assert (await api.post(f"/v1/cases/{case_id}/approve", county, approving)).status_code == 422
    refusing = {"outcome": "pass", "reason": "本省政策尚未录入", "subsidies": {"living": "refuse", "nursing": "refuse"}}
    decided = await api.post(f"/v1/cases/{case_id}/approve", county, refusing)

    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"]["policy_version"] == "none"
