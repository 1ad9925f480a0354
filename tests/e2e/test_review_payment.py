"""Review → payment end to end: a death record for a beneficiary becomes a finding; concluded as terminate, the
payment run no longer pays them, and a month already paid after the death is recorded as an overpayment."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from subsidy_shared.auth import Role
from subsidy_shared.ids import person_key
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET
from subsidy_shared.workdays import china_date

from tests.conftest import application_body, submit_complete, token_for
from tests.e2e.conftest import System, eventually

HARBIN = "230103002"  # 南岗区 township: hukou and window
COUNTY = "230103"
OPS = token_for(Role.OPS, "230000", sub="registry-ops")
CIVIL_AFFAIRS = token_for(Role.COUNTY_CIVIL_AFFAIRS, COUNTY, sub="county-civil-affairs")
MONTHLY_FEN = {"living": 8000, "nursing": 10000}  # Heilongjiang floors, 80 / 100 元


async def _import(http: httpx.AsyncClient, system: System, lines: list[dict[str, Any]]) -> dict[str, Any]:
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    response = await http.post(
        f"{system.url('review')}/v1/registry/records",
        content=text.encode(),
        headers=OPS | {"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    assert report["rejected"] == [], report
    return report


async def _approved_beneficiary(http: httpx.AsyncClient, system: System, sequence: int) -> tuple[str, str]:
    """Registry records through review's import, an application at the window, the three levels: (id, key)."""
    body = application_body(hukou=HARBIN, sequence=sequence, category=4, grade=1)
    id_number = body["applicant"]["id_number"]
    base = {"source": "e2e-cdpf", "id_number": id_number, "region": HARBIN}
    card = {"category": 4, "grade": 1, "issued_on": "2020-01-01", "expires_on": "2030-01-01"}
    await _import(
        http,
        system,
        [
            base | {"record_id": f"card-{sequence}", "record_kind": "certificate", "change": "issued", "facts": card},
            base | {"source": "e2e-dibao", "record_id": f"dibao-{sequence}", "record_kind": "dibao",
                    "change": "started", "effective_date": "2024-01-01"},
        ],
    )  # fmt: skip
    application_id = await submit_complete(http, system.url("intake"), token_for(Role.WINDOW_CLERK, HARBIN), body)
    case_url = f"{system.url('eligibility')}/v1/cases/{application_id}"
    township = token_for(Role.TOWNSHIP_REVIEWER, HARBIN)

    async def recommended() -> bool:
        response = await http.get(case_url, headers=township)
        return response.status_code == 200 and response.json().get("recommended") == {
            "living": "approved",
            "nursing": "approved",
        }

    await eventually(recommended)
    for step, role, region in (
        ("review", Role.TOWNSHIP_REVIEWER, HARBIN),
        ("verify", Role.COUNTY_DISABILITY_FEDERATION, COUNTY),
        ("approve", Role.COUNTY_CIVIL_AFFAIRS, COUNTY),
    ):
        response = await http.post(f"{case_url}/{step}", json={"outcome": "pass"}, headers=token_for(role, region))
        assert response.status_code == 200, (step, response.text)
    return id_number, person_key(id_number, DEV_PERSON_KEY_SECRET)


async def _ledger(http: httpx.AsyncClient, system: System, key: str) -> dict[str, Any]:
    response = await http.get(f"{system.url('payment')}/v1/beneficiaries/{key}/ledger", headers=CIVIL_AFFAIRS)
    return response.json() if response.status_code == 200 else {}


async def _statuses(http: httpx.AsyncClient, system: System, key: str) -> set[str]:
    return {e["status"] for e in (await _ledger(http, system, key)).get("entitlements", [])}


async def _death_concluded(
    http: httpx.AsyncClient, system: System, id_number: str, key: str, died_on: date, month: str
) -> None:
    """The death record imported, a comparison run raises its finding, civil affairs concludes: terminate."""
    record = {
        "source": "e2e-health",
        "record_id": f"death-{key[:16]}",
        "record_kind": "death",
        "change": "recorded",
        "id_number": id_number,
        "region": HARBIN,
        "effective_date": died_on.isoformat(),
    }
    assert (await _import(http, system, [record]))["changed"] == 1
    review = system.url("review")

    async def finding() -> dict[str, Any] | None:
        # The beneficiary reaches review's read model through eligibility.decided; run until it is there.
        run = await http.post(f"{review}/v1/comparison-runs", json={"region": COUNTY}, headers=CIVIL_AFFAIRS)
        assert run.status_code == 201, run.text
        listed = await http.get(
            f"{review}/v1/findings", params={"status": "open", "rule_id": "death.recorded"}, headers=CIVIL_AFFAIRS
        )
        return next((f for f in listed.json()["items"] if f["person_key"] == key), None)

    found = await eventually(finding)
    assert (found["suggested_action"], found["effective_month"]) == ("terminate", month)
    assert sorted(found["subsidies"]) == ["living", "nursing"] and id_number not in json.dumps(found)
    concluded = await http.post(
        f"{review}/v1/findings/{found['id']}/conclude",
        json={"action": "terminate", "reason": "火化记录核实，本人已死亡"},
        headers=CIVIL_AFFAIRS,
    )
    assert concluded.status_code == 200, concluded.text

    async def terminated() -> bool:
        return await _statuses(http, system, key) == {"terminated"}

    await eventually(terminated)


async def test_a_death_found_by_review_stops_payment_and_a_month_paid_after_it_is_owed_back(
    system: System, http: httpx.AsyncClient
) -> None:
    today = china_date(datetime.now(UTC))
    month = f"{today:%Y-%m}"  # applications handed in today are paid from this month (P1)
    died_on = today.replace(day=1) - timedelta(days=1)  # the last day of last month: stop from this month
    paid_id, paid_key = await _approved_beneficiary(http, system, 6001)
    dead_id, dead_key = await _approved_beneficiary(http, system, 6002)

    async def entitled() -> bool:
        return all([await _statuses(http, system, k) == {"active"} for k in (paid_key, dead_key)])

    await eventually(entitled)

    # Found before the run: never paid.
    await _death_concluded(http, system, dead_id, dead_key, died_on, month)
    run = await http.post(
        f"{system.url('payment')}/v1/payment-runs", json={"region": COUNTY, "month": month}, headers=CIVIL_AFFAIRS
    )
    assert run.status_code == 201, run.text
    assert (await _ledger(http, system, dead_key))["payments"] == []
    paid = (await _ledger(http, system, paid_key))["payments"]
    assert sorted((p["subsidy"], p["month"], p["amount_fen"]) for p in paid) == [
        ("living", month, MONTHLY_FEN["living"]),
        ("nursing", month, MONTHLY_FEN["nursing"]),
    ]

    # Found after the month was paid: owed back.
    await _death_concluded(http, system, paid_id, paid_key, died_on, month)

    async def owed() -> list[dict[str, Any]]:
        return list((await _ledger(http, system, paid_key)).get("overpayments", []))

    overpayments = await eventually(owed)
    assert sum(o["total_fen"] for o in overpayments) == MONTHLY_FEN["living"] + MONTHLY_FEN["nursing"]
    assert {m["month"] for o in overpayments for m in o["months"]} == {month}

    again = await http.post(
        f"{system.url('payment')}/v1/payment-runs", json={"region": COUNTY, "month": month}, headers=CIVIL_AFFAIRS
    )
    assert again.status_code == 201, again.text
    assert len((await _ledger(http, system, paid_key))["payments"]) == 2  # nobody is paid twice, nor after death
    assert (await _ledger(http, system, dead_key))["payments"] == []

    async def review_knows() -> bool:
        statuses = await system.databases["review"].scalar(
            "SELECT string_agg(DISTINCT status, ',') FROM beneficiaries WHERE person_key = :k", k=paid_key
        )
        return bool(statuses == "terminated")

    await eventually(review_knows)  # payment's benefit.terminated reached review's read model
