"""Reports: a month's totals, the funding request a run would need, counties not paying monthly, recovery."""

from __future__ import annotations

from typing import Any

import pytest
from subsidy_shared.auth import Role

from tests.conftest import ServiceDatabase, token_for
from tests.payment.conftest import (
    CIVIL_AFFAIRS,
    HL_ADMIN,
    OTHER_HL_COUNTY_TOWNSHIP,
    Api,
    apply,
    at,
    beneficiary,
    concluded,
    decided,
)

OTHER_COUNTY = OTHER_HL_COUNTY_TOWNSHIP[:6]


async def report(api: Api, name: str, headers: dict[str, str] = HL_ADMIN, **params: Any) -> Any:
    response = await api.get(f"/v1/reports/{name}", headers, **params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_month_totals_are_by_county_subsidy_and_tier(api: Api, db: ServiceDatabase) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-10-10", nursing=("nursing.grade1", 10000)))
    await apply(db, decided(beneficiary(2), submitted="2026-11-02", nursing=("nursing.grade2", 9000)))
    await apply(db, decided(beneficiary(3, hukou=OTHER_HL_COUNTY_TOWNSHIP), submitted="2026-11-02", nursing=None))
    await api.run("2026-11", region="230000", headers=HL_ADMIN)

    province = await report(api, "totals", region="230000", month="2026-11")
    county = await report(api, "totals", CIVIL_AFFAIRS, region="230103", month="2026-11")
    october = await report(api, "totals", region="230000", month="2026-10")

    assert [(r["county"], r["subsidy"], r["tier"], r["lines"], r["amount_fen"]) for r in province["rows"]] == [
        (OTHER_COUNTY, "living", "living.all", 1, 8000),
        ("230103", "living", "living.all", 2, 16000),
        ("230103", "nursing", "nursing.grade1", 1, 10000),
        ("230103", "nursing", "nursing.grade2", 1, 9000),
    ]
    assert (province["lines"], province["amount_fen"], province["amount_yuan"]) == (5, 43000, "430.00")
    assert (county["lines"], county["amount_fen"]) == (4, 35000)
    assert (october["lines"], october["amount_fen"]) == (2, 18000)  # arrears count under their own month


async def test_the_funding_request_is_what_the_run_then_pays_and_writes_nothing(api: Api, db: ServiceDatabase) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-09-10"))
    await apply(db, decided(beneficiary(2), submitted="2026-11-02", nursing=None))

    request = await report(api, "funding-request", CIVIL_AFFAIRS, county="230103", month="2026-11")

    assert await db.scalar("SELECT count(*) FROM payments") == 0
    lines = {r["subsidy"]: (r["lines"], r["arrears_lines"], r["amount_fen"]) for r in request["by_subsidy"]}
    assert lines == {"living": (4, 2, 32000), "nursing": (3, 2, 30000)}
    assert (request["amount_fen"], request["net_fen"], request["last_run"]) == (62000, 62000, None)
    assert request["county_name"]
    run = await api.run("2026-11")
    assert (run["total_fen"], run["paid_count"]) == (request["amount_fen"], 7)

    api.clock.now = at("2026-12-03")
    december = await report(api, "funding-request", CIVIL_AFFAIRS, county="230103", month="2026-12")
    assert (december["amount_fen"], december["last_run"]["id"]) == (26000, run["id"])
    assert (december["last_run"]["month"], december["last_run"]["county_total_fen"]) == ("2026-11", 62000)


async def test_the_funding_request_counts_expected_offsets_and_carried_lines(api: Api, db: ServiceDatabase) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-10-10"))
    await api.run("2026-11")
    await apply(db, concluded(who, "suspend", "2026-11", subsidies=("living",), reason="服刑"))  # owes 8000
    api.clock.now = at("2026-12-03")

    request = await report(api, "funding-request", CIVIL_AFFAIRS, county="230103", month="2026-12")
    december = await api.run("2026-12")

    assert (request["amount_fen"], request["expected_offset_fen"], request["net_fen"]) == (10000, 8000, 2000)
    assert (december["offset_fen"], december["total_fen"]) == (8000, 2000)


async def test_counties_that_missed_months_of_the_year_are_listed_with_the_december_deadline(
    api: Api, db: ServiceDatabase
) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-08-10"))
    await apply(db, decided(beneficiary(2, hukou=OTHER_HL_COUNTY_TOWNSHIP), submitted="2026-10-10"))
    for month in ("2026-08", "2026-09", "2026-10", "2026-11"):
        await api.run(month)  # 230103 pays every month
    await api.run("2026-11", region=OTHER_COUNTY, headers=HL_ADMIN)  # the other county paid October late

    late = await report(api, "non-monthly", province="230000", year=2026)
    await api.run("2026-10", region="230000", headers=HL_ADMIN)  # a province run covers its counties
    caught_up = await report(api, "non-monthly", province="230000", year=2026)
    last_year = await report(api, "non-monthly", province="230000", year=2025)

    assert late["counties"] == [
        {"county": OTHER_COUNTY, "county_name": late["counties"][0]["county_name"], "missing_months": ["2026-10"]}
    ]
    assert (late["report_due"], late["through_month"]) == ("2026-12-31", "2026-11")
    assert caught_up["counties"] == [] and last_year["counties"] == []
    assert last_year["through_month"] == "2025-12"


async def test_recovery_shows_owed_recovered_and_outstanding_per_county(api: Api, db: ServiceDatabase) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-10-10"))
    await api.run("2026-11")
    await apply(db, concluded(who, "terminate", "2026-10", reason="火化记录：2026-09-30 死亡"))  # owes 36000
    died_elsewhere = beneficiary(2, hukou=OTHER_HL_COUNTY_TOWNSHIP)
    await apply(db, decided(died_elsewhere, submitted="2026-11-02", nursing=None))
    await api.run("2026-11", region=OTHER_COUNTY, headers=HL_ADMIN)
    await apply(db, concluded(died_elsewhere, "terminate", "2026-11", subsidies=("living",)))  # owes 8000
    debt = (await api.ledger(who))["overpayments"][0]
    repaid = await api.post(
        f"/v1/overpayments/{debt['id']}/repayments", CIVIL_AFFAIRS, {"amount_fen": 5000, "reference": "收据 0001"}
    )
    assert repaid.status_code == 201, repaid.text

    province = await report(api, "recovery", region="230000")
    county = await report(api, "recovery", CIVIL_AFFAIRS, region="230103")

    rows = {
        r["county"]: (r["overpayments"], r["total_fen"], r["recovered_fen"], r["outstanding_fen"])
        for r in province["counties"]
    }
    assert rows == {OTHER_COUNTY: (1, 8000, 0, 8000), "230103": (2, 36000, 5000, 31000)}
    total = province["total"]
    assert (total["total_fen"], total["recovered_fen"], total["repaid_fen"], total["outstanding_fen"]) == (
        44000,
        5000,
        5000,
        39000,
    )
    assert [c["county"] for c in county["counties"]] == ["230103"]


@pytest.mark.parametrize(
    ("path", "headers", "params", "status", "loc"),
    [
        ("totals", CIVIL_AFFAIRS, {"region": "230103", "month": "2026-00"}, 422, ["query", "month"]),
        ("totals", CIVIL_AFFAIRS, {"region": "230103002", "month": "2026-11"}, 422, ["query", "region"]),
        ("totals", CIVIL_AFFAIRS, {"region": OTHER_COUNTY, "month": "2026-11"}, 403, None),
        ("funding-request", HL_ADMIN, {"county": "230000", "month": "2026-11"}, 422, ["query", "county"]),
        ("funding-request", CIVIL_AFFAIRS, {"county": "230103"}, 422, ["query", "month"]),
        ("non-monthly", HL_ADMIN, {"province": "230103", "year": 2026}, 422, ["query", "province"]),
        ("non-monthly", HL_ADMIN, {"province": "230000", "year": 2027}, 422, ["query", "year"]),
        ("non-monthly", CIVIL_AFFAIRS, {"province": "230000", "year": 2026}, 403, None),
        ("recovery", token_for(Role.PROVINCE_SYSTEM, "230000"), {"region": "230000"}, 403, None),
        ("recovery", HL_ADMIN, {"region": "99999"}, 422, ["query", "region"]),
    ],
    ids=[
        "bad-month",
        "township",
        "other-county",
        "not-a-county",
        "no-month",
        "not-a-province",
        "future-year",
        "county-asks-province",
        "province-system",
        "bad-region",
    ],
)
async def test_bad_or_unauthorised_report_requests_are_problem_json(
    api: Api, path: str, headers: dict[str, str], params: dict[str, Any], status: int, loc: list[str] | None
) -> None:
    response = await api.get(f"/v1/reports/{path}", headers, **params)

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if loc is not None:
        assert response.json()["errors"][0]["loc"] == loc
