"""POST /v1/applications: valid input is stored with its event; bad input is refused whole."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from subsidy_shared.auth import Role
from subsidy_shared.events import decode_event

from tests.conftest import ServiceDatabase, application_body, hand_in_materials, token_for

WINDOW = "230102001"  # a street office in Harbin's 道里区
CLERK = token_for(Role.WINDOW_CLERK, WINDOW)


async def _stored_counts(db: ServiceDatabase) -> tuple[int, int]:
    return await db.scalar("SELECT count(*) FROM applications"), await db.scalar("SELECT count(*) FROM outbox")


async def test_application_from_another_province_is_accepted_and_sent_once_materials_are_complete(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase
) -> None:
    response = await intake.post("/v1/applications", json=application_body(hukou="510104001"), headers=CLERK)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "materials_pending"
    assert body["accepting_region"] == WINDOW and body["hukou_region"] == "510104001"
    assert "*" in body["applicant_id_number"] and body["applicant_name"] == "张*三"
    assert body["missing_materials"] == [m["kind"] for m in body["required_materials"]]
    assert await intake_db.scalar("SELECT count(*) FROM outbox") == 0  # not complete: nothing to push yet

    last = await hand_in_materials(intake, "", body["id"], CLERK, body["missing_materials"])

    assert last["status"] == "complete" and last["missing_materials"] == []
    async with intake_db.engine.connect() as conn:
        payload = (await conn.exec_driver_sql("SELECT payload FROM outbox")).scalar_one()
    event = decode_event(payload)
    assert event.type == "subsidy.application.submitted.v1"
    assert str(event.data.application_id) == body["id"]
    assert event.data.accepting_region == WINDOW
    assert event.data.materials_complete_at is not None


def _with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body = application_body(hukou="510104001", sequence=7)
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is _MISSING:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


_MISSING = object()
BAD_INPUTS = [
    pytest.param(("applicant", "id_number"), "110105194912310021", "check digit", id="wrong-id-check-digit"),
    pytest.param(("applicant", "id_number"), "110105194902301234", "birth date", id="impossible-birth-date"),
    pytest.param(("hukou_region",), "999999001", "GB/T 2260", id="unknown-region"),
    pytest.param(("hukou_region",), "5101", "6 (county)", id="malformed-region"),
    pytest.param(("hukou_region",), _MISSING, "Field required", id="missing-hukou-region"),
    pytest.param(("applicant", "name"), _MISSING, "Field required", id="missing-name"),
    pytest.param(("subsidies",), ["living", "pension"], "living", id="unknown-subsidy"),
    pytest.param(("subsidies",), [], "at least 1", id="no-subsidy"),
    pytest.param(("certificate_number",), "510104195002020019X1", "category", id="bad-certificate-category"),
    pytest.param(("bank_account", "account_number"), "abc", "12 to 30 digits", id="bad-account"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD_INPUTS)
async def test_bad_input_is_a_422_naming_the_field_and_nothing_is_stored(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase, path: tuple[str, ...], value: Any, message: str
) -> None:
    response = await intake.post("/v1/applications", json=_with(path, value), headers=CLERK)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422
    locations = [err["loc"] for err in problem["errors"]]
    assert any(loc[1 : 1 + len(path)] == list(path) for loc in locations), locations
    assert any(message in err["msg"] for err in problem["errors"]), problem["errors"]
    assert await _stored_counts(intake_db) == (0, 0)


async def test_certificate_of_someone_else_is_refused(intake: httpx.AsyncClient, intake_db: ServiceDatabase) -> None:
    body = application_body(sequence=3)
    body["certificate_number"] = application_body(sequence=4)["applicant"]["id_number"] + "41"

    response = await intake.post("/v1/applications", json=body, headers=CLERK)

    assert response.status_code == 422
    assert "certificate_number" in response.json()["errors"][0]["msg"]
    assert await _stored_counts(intake_db) == (0, 0)


async def test_second_open_application_for_same_person_and_subsidy_is_a_409(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase
) -> None:
    first = await intake.post("/v1/applications", json=application_body(sequence=11), headers=CLERK)
    other_window = token_for(Role.WINDOW_CLERK, "440106003")
    again = application_body(sequence=11, subsidies=("nursing",))

    response = await intake.post("/v1/applications", json=again, headers=other_window)

    assert response.status_code == 409
    assert response.json()["existing_application_id"] == first.json()["id"]
    assert response.json()["locality"] == "510104"
    assert await _stored_counts(intake_db) == (1, 0)


async def test_a_request_without_token_is_401_and_a_reviewer_cannot_submit(intake: httpx.AsyncClient) -> None:
    anonymous = await intake.post("/v1/applications", json=application_body())
    reviewer = await intake.post(
        "/v1/applications", json=application_body(), headers=token_for(Role.TOWNSHIP_REVIEWER, WINDOW)
    )

    assert anonymous.status_code == 401
    assert reviewer.status_code == 403
    assert "window_clerk" in reviewer.json()["detail"]


async def test_application_is_visible_to_both_regions_and_not_to_a_third(intake: httpx.AsyncClient) -> None:
    created = (await intake.post("/v1/applications", json=application_body(sequence=21), headers=CLERK)).json()
    url = f"/v1/applications/{created['id']}"

    hukou_county = await intake.get(url, headers=token_for(Role.COUNTY_CIVIL_AFFAIRS, "510104"))
    elsewhere = await intake.get(url, headers=token_for(Role.COUNTY_CIVIL_AFFAIRS, "440106"))

    assert hukou_county.status_code == 200
    assert elsewhere.status_code == 404  # as if it did not exist


async def test_list_is_masked_and_paginated(intake: httpx.AsyncClient) -> None:
    for sequence in range(30, 33):
        await intake.post("/v1/applications", json=application_body(sequence=sequence), headers=CLERK)

    page = (await intake.get("/v1/applications?limit=2", headers=CLERK)).json()
    rest = (await intake.get(f"/v1/applications?limit=2&cursor={page['next_cursor']}", headers=CLERK)).json()

    assert len(page["items"]) == 2 and len(rest["items"]) == 1
    assert all("*" in item["applicant_id_number"] for item in page["items"] + rest["items"])


async def test_list_filters_by_status_and_pages_within_the_filter(intake: httpx.AsyncClient) -> None:
    created = [
        (await intake.post("/v1/applications", json=application_body(sequence=sequence), headers=CLERK)).json()
        for sequence in range(34, 38)
    ]
    for done in (created[0], created[2], created[3]):
        await hand_in_materials(intake, "", done["id"], CLERK, done["missing_materials"])

    complete = "/v1/applications?status=complete&limit=2"
    page = (await intake.get(complete, headers=CLERK)).json()
    rest = (await intake.get(f"{complete}&cursor={page['next_cursor']}", headers=CLERK)).json()
    pending = (await intake.get("/v1/applications?status=materials_pending", headers=CLERK)).json()

    assert [i["id"] for i in page["items"] + rest["items"]] == [created[n]["id"] for n in (0, 2, 3)]
    assert rest["next_cursor"] is None
    assert all(i["status"] == "complete" for i in page["items"] + rest["items"])
    assert [i["id"] for i in pending["items"]] == [created[1]["id"]]
    assert (await intake.get("/v1/applications?status=lost", headers=CLERK)).status_code == 422


async def test_bad_cursor_is_a_422(intake: httpx.AsyncClient) -> None:
    response = await intake.get("/v1/applications?cursor=not-a-cursor", headers=CLERK)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]
