"""Applications received / decided / approved / refused by month, hukou county and scope, for supervisors."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from intake_service.repository import scope_clause
from subsidy_shared.auth import Role
from subsidy_shared.events import Reason, SubsidyOutcome
from subsidy_shared.regions import scope_between

from tests.conftest import ServiceDatabase, application_body, token_for
from tests.intake.conftest import Api, return_result
from tests.service_api import at

HEILONGJIANG = token_for(Role.PROVINCIAL_ADMIN, "230000")
APPROVED = SubsidyOutcome(subsidy="nursing", outcome="approved", tier="grade1", monthly_amount_fen=12000)
REFUSED = SubsidyOutcome(subsidy="living", outcome="refused", reasons=(Reason(rule_id="E1.dibao", text="非低保"),))


async def filed(api: Api, window: str, hukou: str, sequence: int, when: datetime) -> str:
    api.clock.now = when
    body = application_body(hukou=hukou, sequence=sequence)
    response = await api.post("/v1/applications", token_for(Role.WINDOW_CLERK, window), body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
async def filed_in_autumn(api: Api, intake_db: ServiceDatabase) -> None:
    """Four applications touching Heilongjiang and one that does not."""
    cross_county = await filed(api, "230102001", "230103002", 91, at("2026-10-10"))
    await return_result(intake_db, cross_county, (REFUSED, APPROVED), at("2026-10-20"))
    # 17:00 UTC on 31 October is 01:00 on 1 November in Beijing: a November application.
    cross_province = await filed(api, "230102001", "510104001", 92, at("2026-10-31", hour=17))
    await return_result(intake_db, cross_province, (REFUSED,), at("2026-11-20"))
    await filed(api, "230102001", "230102003", 93, at("2026-11-05"))  # local, not decided yet
    await filed(api, "510104001", "230103002", 94, at("2026-11-06"))  # accepted in Chengdu for a Harbin hukou
    await filed(api, "440106001", "440106003", 95, at("2026-11-07"))  # Guangdong only


def row(
    month: str, county: str, scope: str, received: int, decided: int = 0, approved: int = 0, refused: int = 0
) -> dict[str, object]:
    return {
        "month": month,
        "county": county,
        "scope": scope,
        "received": received,
        "decided": decided,
        "approved": approved,
        "refused": refused,
    }


@pytest.mark.usefixtures("filed_in_autumn")
async def test_counts_by_china_month_hukou_county_and_scope_within_the_area(api: Api) -> None:
    response = await api.get("/v1/statistics/applications", HEILONGJIANG)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "region": "230000",
        "rows": [
            row("2026-10", "230103", "cross_county", 1, decided=1, approved=1),
            row("2026-11", "230102", "local", 1),
            row("2026-11", "230103", "cross_province", 1),
            row("2026-11", "510104", "cross_province", 1, decided=1, refused=1),
        ],
    }


@pytest.mark.usefixtures("filed_in_autumn")
async def test_the_month_range_and_a_smaller_region_narrow_the_counts(api: Api) -> None:
    november = await api.get("/v1/statistics/applications", HEILONGJIANG, from_month="2026-11")
    october = await api.get("/v1/statistics/applications", HEILONGJIANG, from_month="2026-10", to_month="2026-10")
    county = await api.get("/v1/statistics/applications", token_for(Role.COUNTY_CIVIL_AFFAIRS, "230103"))
    auditor = await api.get("/v1/statistics/applications", token_for(Role.AUDITOR, "440000"))

    assert [r["month"] for r in november.json()["rows"]] == ["2026-11"] * 3
    assert [r["month"] for r in october.json()["rows"]] == ["2026-10"]
    assert county.json()["region"] == "230103"
    assert [(r["month"], r["scope"]) for r in county.json()["rows"]] == [
        ("2026-10", "cross_county"),
        ("2026-11", "cross_province"),
    ]
    assert auditor.json()["rows"] == [row("2026-11", "440106", "local", 1)]


async def test_only_supervisors_of_the_region_may_ask_and_the_months_must_be_in_order(api: Api) -> None:
    clerk = await api.get("/v1/statistics/applications", token_for(Role.WINDOW_CLERK, "230102001"))
    other_area = await api.get(
        "/v1/statistics/applications", token_for(Role.COUNTY_CIVIL_AFFAIRS, "440106"), region="230000"
    )
    backwards = await api.get("/v1/statistics/applications", HEILONGJIANG, from_month="2026-11", to_month="2026-10")
    not_a_month = await api.get("/v1/statistics/applications", HEILONGJIANG, from_month="2026-13")

    assert clerk.status_code == other_area.status_code == 403
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["loc"] == ["query", "to_month"]
    assert not_a_month.status_code == 422 and not_a_month.json()["errors"][0]["loc"] == ["query", "from_month"]


@pytest.mark.parametrize(
    ("accepting", "hukou"),
    [
        ("230102001", "230102003"),
        ("230102001", "230103002"),
        ("230102001", "230203001"),
        ("230102001", "510104001"),
        ("440106001", "441900003"),
    ],
)
async def test_the_scope_in_sql_is_the_scope_rule(intake_db: ServiceDatabase, accepting: str, hukou: str) -> None:
    async with intake_db.engine.connect() as conn:
        in_sql = (await conn.execute(sa.select(scope_clause(sa.literal(accepting), sa.literal(hukou))))).scalar()

    assert in_sql == scope_between(accepting, hukou).value
