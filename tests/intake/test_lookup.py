"""查找: a person by ID number (in the body only), within the caller's area, audited."""

from __future__ import annotations

from typing import Any

from subsidy_shared.auth import Role
from subsidy_shared.ids import person_key
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET

from tests.conftest import ServiceDatabase, application_body, token_for
from tests.intake.conftest import Api
from tests.service_api import at

HARBIN_CLERK = token_for(Role.WINDOW_CLERK, "230102001")
NOT_HERE = "no person with that ID number in your area"


async def filed(api: Api, sequence: int, hukou: str = "510104001") -> tuple[str, str]:
    """An application at the Harbin window for a person with hukou `hukou`: (application id, ID number)."""
    body = application_body(sequence=sequence, hukou=hukou)
    response = await api.post("/v1/applications", HARBIN_CLERK, body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"]), str(body["applicant"]["id_number"])


async def lookup(api: Api, headers: dict[str, str], id_number: Any) -> Any:
    return await api.post("/v1/persons/lookup", headers, {"id_number": id_number})


async def test_an_official_of_the_window_or_of_the_hukou_finds_the_person_and_their_key(
    api: Api, intake_db: ServiceDatabase
) -> None:
    application_id, id_number = await filed(api, 81)

    harbin = await lookup(api, token_for(Role.COUNTY_CIVIL_AFFAIRS, "230102"), id_number)
    chengdu = await lookup(api, token_for(Role.TOWNSHIP_REVIEWER, "510104001"), id_number)

    assert harbin.status_code == 200, harbin.text
    assert chengdu.status_code == 200 and chengdu.json() == harbin.json()
    found = harbin.json()
    assert found["person_key"] == person_key(id_number, DEV_PERSON_KEY_SECRET)
    [application] = found["applications"]
    assert application["id"] == application_id and application["status"] == "materials_pending"
    assert application["applicant_id_number"].count("*") == 10 and id_number not in str(found)
    assert "id_card" in application["missing_materials"]
    audited = await intake_db.scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'person.lookup' AND entity_id = :key AND allowed",
        key=found["person_key"],
    )
    assert audited == 2


async def test_only_the_applications_inside_the_callers_area_are_listed(api: Api) -> None:
    _, id_number = await filed(api, 82, hukou="510104001")
    body = application_body(sequence=82, hukou="510104001", subsidies=("nursing",))
    other_window = token_for(Role.WINDOW_CLERK, "440106001")
    # The first application was withdrawn, so a second one elsewhere is no 重复领取.
    first = await lookup(api, HARBIN_CLERK, id_number)
    withdrawn = await api.post(
        f"/v1/applications/{first.json()['applications'][0]['id']}/withdraw", HARBIN_CLERK, {"reason": "撤回"}
    )
    assert withdrawn.status_code == 200
    api.clock.now = at("2026-11-24")
    assert (await api.post("/v1/applications", other_window, body)).status_code == 201

    harbin = (await lookup(api, HARBIN_CLERK, id_number)).json()["applications"]
    guangzhou = (await lookup(api, token_for(Role.COUNTY_CIVIL_AFFAIRS, "440106"), id_number)).json()["applications"]
    chengdu = (await lookup(api, token_for(Role.COUNTY_CIVIL_AFFAIRS, "510104"), id_number)).json()["applications"]

    assert [a["accepting_region"] for a in harbin] == ["230102001"]
    assert [a["accepting_region"] for a in guangzhou] == ["440106001"]
    assert [a["accepting_region"] for a in chengdu] == ["230102001", "440106001"]  # oldest first


async def test_a_person_known_only_elsewhere_gets_the_same_404_as_one_unknown_and_the_denial_is_audited(
    api: Api, intake_db: ServiceDatabase
) -> None:
    _, id_number = await filed(api, 83)
    shanghai = token_for(Role.COUNTY_CIVIL_AFFAIRS, "310101")
    unknown = application_body(sequence=84)["applicant"]["id_number"]

    elsewhere = await lookup(api, shanghai, id_number)
    nowhere = await lookup(api, shanghai, unknown)

    assert elsewhere.status_code == nowhere.status_code == 404
    assert elsewhere.json() == nowhere.json()
    assert elsewhere.json()["detail"] == NOT_HERE
    assert elsewhere.headers["content-type"].startswith("application/problem+json")
    async with intake_db.engine.connect() as conn:
        denials = (
            await conn.exec_driver_sql("SELECT actor_region, entity_id, after FROM audit_log WHERE NOT allowed")
        ).all()
    [denial] = denials
    assert (denial.actor_region, denial.entity_id) == ("310101", "/v1/persons/lookup")
    assert "outside" in denial.after["reason"] and id_number not in str(denial.after)


async def test_a_bad_id_number_is_a_422_without_echo_and_a_province_system_may_not_look_up(api: Api) -> None:
    _, id_number = await filed(api, 85)
    wrong_check_digit = id_number[:17] + ("0" if id_number[17] != "0" else "1")

    bad = await lookup(api, HARBIN_CLERK, wrong_check_digit)
    system = await lookup(api, token_for(Role.PROVINCE_SYSTEM, "510000"), id_number)
    in_the_url = await api.client.post(f"/v1/persons/lookup?id_number={id_number}", json={}, headers=HARBIN_CLERK)

    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "id_number"]
    assert wrong_check_digit not in bad.text
    assert system.status_code == 403
    assert in_the_url.status_code == 422  # the number is read from the body only
