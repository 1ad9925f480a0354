"""跨省通办 end to end: a Harbin window, a Chengdu hukou, the real calendar, the result back at the window."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
from subsidy_shared.auth import Role
from subsidy_shared.events import (
    BankAccount,
    EligibilityDecided,
    EligibilityDecidedData,
    Person,
    Reason,
    SubsidyDecision,
    encode_event,
)
from subsidy_shared.ids import person_key
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET
from subsidy_shared.workdays import china_date, is_workday, workdays_between

from tests.conftest import application_body, submit_complete, token_for
from tests.e2e.conftest import System, eventually

HARBIN_WINDOW = "230102001"
CHENGDU_HUKOU = "510104001"
GUANGZHOU_WINDOW = "440106003"


def _decided(application_id: str, body: dict[str, Any], submitted_at: str) -> EligibilityDecided:
    """What the Chengdu county's eligibility service sends when it decides (nursing yes, living no)."""
    applicant = body["applicant"]
    data = EligibilityDecidedData(
        application_id=uuid.UUID(application_id),
        person_key=person_key(applicant["id_number"], DEV_PERSON_KEY_SECRET),
        beneficiary=Person(**applicant),
        hukou_region=CHENGDU_HUKOU,
        accepting_region=HARBIN_WINDOW,
        certificate_number=body["certificate_number"],
        bank_account=BankAccount(**body["bank_account"]),
        submitted_at=datetime.fromisoformat(submitted_at),
        decided_at=datetime.now(UTC),
        decided_by="county-civil-affairs-510104",
        policy_version="51-2026-01",
        decisions=(
            SubsidyDecision(
                subsidy="nursing",
                outcome="approved",
                reasons=(Reason(rule_id="E2.nursing.grade", text="一级残疾，需长期照护"),),
                tier="grade-1",
                monthly_amount_fen=10000,
                start_month=submitted_at[:7],
            ),
            SubsidyDecision(
                subsidy="living",
                outcome="refused",
                reasons=(Reason(rule_id="E1.living.dibao", text="不属于低保家庭"),),
            ),
        ),
    )
    return EligibilityDecided(source="liangbu/eligibility", subject=application_id, data=data)


async def test_harbin_window_chengdu_hukou_routed_decided_returned_and_notified(
    system: System, http: httpx.AsyncClient
) -> None:
    clerk = token_for(Role.WINDOW_CLERK, HARBIN_WINDOW)
    intake, routing = system.url("intake"), system.url("routing")
    body = application_body(hukou=CHENGDU_HUKOU, sequence=3001)
    application_id = await submit_complete(http, intake, clerk, body)

    async def case_at_routing() -> dict[str, Any] | None:
        response = await http.get(f"{routing}/v1/cases/{application_id}", headers=clerk)
        return response.json() if response.status_code == 200 else None

    case = await eventually(case_at_routing)
    assert case["scope"] == "cross_province"
    assert case["locality_county"] == "510104"
    clocks = {d["name"]: d for d in case["deadlines"]}
    # Due dates are working days on the official calendar: never a rest day, exactly N working days on.
    complete_on = china_date(datetime.fromisoformat(case["materials_complete_at"]))  # clocks count in Beijing
    push_due = date.fromisoformat(clocks["push"]["due"])
    assert is_workday(push_due) and workdays_between(complete_on, push_due) == 3
    decision_due = date.fromisoformat(clocks["decision"]["due"])
    assert is_workday(decision_due) and workdays_between(complete_on, decision_due) in (10, 11)
    assert clocks["push"]["met"] is True

    async def pushed() -> dict[str, Any] | None:
        detail = (await http.get(f"{intake}/v1/applications/{application_id}", headers=clerk)).json()
        return detail if detail["status"] == "pushed" else None

    detail = await eventually(pushed)
    assert detail["locality_county"] == "510104"

    # The same person at another window, any province: refused, pointing at the open application.
    again = await http.post(
        f"{intake}/v1/applications", json=body, headers=token_for(Role.WINDOW_CLERK, GUANGZHOU_WINDOW)
    )
    assert again.status_code == 409
    assert again.json()["existing_application_id"] == application_id
    assert again.json()["locality"] == "510104"

    decided = _decided(application_id, body, detail["submitted_at"])
    await system.produce("subsidy.decisions", encode_event(decided), key=decided.data.person_key.encode())

    async def back_at_the_window() -> dict[str, Any] | None:
        detail = (await http.get(f"{intake}/v1/applications/{application_id}", headers=clerk)).json()
        return detail if detail["status"] == "decided" else None

    detail = await eventually(back_at_the_window)
    outcomes = {o["subsidy"]: o["outcome"] for o in detail["decision"]["outcomes"]}
    assert outcomes == {"nursing": "approved", "living": "refused"}
    nursing = next(o for o in detail["decision"]["outcomes"] if o["subsidy"] == "nursing")
    assert (nursing["tier"], nursing["monthly_amount_fen"], nursing["start_month"]) == (
        "grade-1",
        10000,
        detail["submitted_at"][:7],
    )
    notify = {d["name"]: d for d in detail["deadlines"]}["notify"]
    assert notify["state"] in ("on_time", "at_risk") and notify["done_on"] is None

    told = await http.post(
        f"{intake}/v1/applications/{application_id}/notifications", json={"channel": "sms"}, headers=clerk
    )
    assert told.status_code == 201, told.text

    async def notify_met_at_routing() -> dict[str, Any] | None:
        case = await case_at_routing()
        met = case and {d["name"]: d for d in case["deadlines"]}.get("notify", {}).get("met")
        return case if met else None

    case = await eventually(notify_met_at_routing)
    assert case["status"] == "notified"
    returned = [e for e in await system.events("subsidy.cases", "subsidy.case.result_returned.v1")]
    assert [e.subject for e in returned].count(application_id) == 1
