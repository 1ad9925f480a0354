"""Policies as data over HTTP: versions and the one in force, added only by that province's admin."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from eligibility_service.policy import EXAMPLES
from subsidy_shared.auth import Role
from subsidy_shared.events import PolicyPublished
from subsidy_shared.migrations import upgrade_head
from subsidy_shared.policy import PolicyVersion
from subsidy_shared.policy.examples import HEILONGJIANG_2016

from tests.conftest import SERVER, ServiceDatabase, recreate_database, service_info, token_for
from tests.eligibility.conftest import Api, outbox_events

HL_ADMIN = token_for(Role.PROVINCIAL_ADMIN, "230000", sub="hl-admin")


def hl_version(**changes: Any) -> dict[str, Any]:
    """A new Heilongjiang version from 2027-01-01 with raised amounts."""
    body = HEILONGJIANG_2016.model_dump(mode="json") | {"version": "23-2027-01", "effective_from": "2027-01-01"}
    body["living_tiers"] = [{"id": "living.all", "label": "全省统一标准", "monthly_amount_fen": 9000}]
    return body | changes


async def test_any_role_lists_the_versions_and_the_one_in_force(api: Api) -> None:
    clerk = token_for(Role.WINDOW_CLERK, "310101001")

    response = await api.get("/v1/policies/31", clerk)

    assert response.status_code == 200
    listing = response.json()
    assert listing["in_force"] == "31-2025-07" and listing["today"] == "2026-11-25"
    assert [(v["version"], v["in_force"]) for v in listing["versions"]] == [
        ("31-2021-12", False),
        ("31-2025-07", True),
    ]
    assert listing["versions"][1]["body"]["nursing_tiers"][0]["monthly_amount_fen"] == 35000


async def test_an_admin_adds_a_future_version_which_is_listed_but_not_yet_in_force(
    api: Api, db: ServiceDatabase
) -> None:
    response = await api.client.put("/v1/policies/23", json=hl_version(), headers=HL_ADMIN)

    assert response.status_code == 201, response.text
    assert response.json()["created_by"] == "hl-admin"
    listing = (await api.get("/v1/policies/23", HL_ADMIN)).json()
    assert [v["version"] for v in listing["versions"]] == ["23-2016-01", "23-2027-01"]
    assert listing["in_force"] == "23-2016-01"
    audited = await db.scalar("SELECT count(*) FROM audit_log WHERE action = 'add policy version' AND allowed")
    assert audited == 1
    published = [e for e in await outbox_events(db) if isinstance(e, PolicyPublished)]
    assert [(e.data.province, e.data.version, e.key) for e in published] == [("23", "23-2027-01", "policy:23")]
    assert PolicyVersion.model_validate(published[0].data.body).living_tiers[0].monthly_amount_fen == 9000


@pytest.mark.parametrize(
    ("role", "region"),
    [(Role.PROVINCIAL_ADMIN, "310000"), (Role.COUNTY_CIVIL_AFFAIRS, "230103"), (Role.PROVINCIAL_ADMIN, "230100")],
    ids=["other-province-admin", "county-official", "city-level-admin"],
)
async def test_only_that_provinces_admin_may_add_a_version(
    api: Api, db: ServiceDatabase, role: Role, region: str
) -> None:
    response = await api.client.put("/v1/policies/23", json=hl_version(), headers=token_for(role, region))

    assert response.status_code == 403
    assert await db.scalar("SELECT count(*) FROM audit_log WHERE allowed = false") == 1


@pytest.mark.parametrize(
    "tiers",
    [
        [{"id": "living.all", "label": "全省统一标准", "monthly_amount_fen": 90.5}],
        [{"id": "living.all", "label": "全省统一标准", "monthly_amount_fen": 9000.0}],
        [{"id": "living.all", "label": "全省统一标准", "monthly_amount_fen": "9000"}],
    ],
    ids=["fraction", "float", "string"],
)
async def test_an_amount_that_is_not_whole_fen_is_refused(api: Api, tiers: list[dict[str, Any]]) -> None:
    response = await api.client.put("/v1/policies/23", json=hl_version(living_tiers=tiers), headers=HL_ADMIN)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == "monthly_amount_fen"


@pytest.mark.parametrize(
    "changes",
    [{"effective_from": "2016-01-01"}, {"version": "23-2016-01"}],
    ids=["same-start", "same-version-id"],
)
async def test_a_version_that_clashes_with_one_held_is_a_conflict(api: Api, changes: dict[str, Any]) -> None:
    response = await api.client.put("/v1/policies/23", json=hl_version(**changes), headers=HL_ADMIN)

    assert response.status_code == 409


async def test_a_new_version_may_not_start_in_the_past(api: Api) -> None:
    response = await api.client.put("/v1/policies/23", json=hl_version(effective_from="2026-11-01"), headers=HL_ADMIN)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "effective_from"]


async def test_a_body_for_another_province_is_refused(api: Api) -> None:
    response = await api.client.put("/v1/policies/23", json=hl_version(province="31"), headers=HL_ADMIN)

    assert response.status_code == 422


async def test_a_new_version_is_the_one_deciding_from_its_first_day(api: Api) -> None:
    await api.client.put("/v1/policies/23", json=hl_version(), headers=HL_ADMIN)
    api.clock.now = api.clock.now.replace(year=2027, month=1, day=2)

    listing = (await api.get("/v1/policies/23", HL_ADMIN)).json()

    assert listing["in_force"] == "23-2027-01"


async def test_the_migration_seeds_the_shipped_examples() -> None:
    """On a database of its own: the shared test database is emptied between tests."""
    name = "test_eligibility_seed"
    await recreate_database(name)
    url = service_info("eligibility").database_url(SERVER, name)
    await asyncio.to_thread(upgrade_head, str(service_info("eligibility").folder), url)
    seeded = ServiceDatabase(url)
    try:
        rows = await seeded.scalar("SELECT count(*) FROM policies WHERE created_by = 'seed:0002'")
    finally:
        await seeded.engine.dispose()
    assert rows == len(EXAMPLES)
