"""Text PostgreSQL cannot store, or that is not text, is a 422 naming the field, and nothing is written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from subsidy_shared.auth import Role
from subsidy_shared.pagination import CURSOR_PATTERN

from tests.conftest import PDF_BYTES, ServiceDatabase, application_body, token_for
from tests.hostile import HOSTILE, JSON, assert_refused, documented_pattern, multipart, raw_json, with_value

WINDOW = "230102001"
CLERK = token_for(Role.WINDOW_CLERK, WINDOW)
HL_ADMIN = token_for(Role.PROVINCIAL_ADMIN, "230000")
AGENT = {"id_number": "230102196005050882", "name": "李四", "relation": "family", "phone": "13900000000"}


async def _rows(db: ServiceDatabase) -> dict[str, int]:
    tables = ("applications", "application_steps", "materials", "material_rules", "notifications", "outbox")
    return {t: await db.scalar(f"SELECT count(*) FROM {t}") for t in tables}


async def _application(intake: httpx.AsyncClient) -> str:
    created = await intake.post("/v1/applications", json=application_body(sequence=41), headers=CLERK)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


APPLICATION_FIELDS = [
    pytest.param(("applicant", "name"), "张{}三", id="applicant-name"),
    pytest.param(("applicant", "phone"), "138{}00000000", id="applicant-phone"),
    pytest.param(("agent", "name"), "李{}四", id="agent-name"),
    pytest.param(("bank_account", "bank"), "中国{}农业银行", id="bank-name"),
    pytest.param(("bank_account", "holder_name"), "张{}三", id="holder-name"),
]


@pytest.mark.parametrize("bad", HOSTILE)
@pytest.mark.parametrize(("path", "template"), APPLICATION_FIELDS)
async def test_an_application_with_unstorable_or_control_text_is_refused_whole(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase, path: tuple[str, ...], template: str, bad: str
) -> None:
    body = application_body(sequence=42) | {"agent": AGENT}
    before = await _rows(intake_db)

    response = await intake.post(
        "/v1/applications", content=raw_json(with_value(body, path, template.format(bad))), headers=CLERK | JSON
    )

    assert_refused(response, path[-1])
    assert await _rows(intake_db) == before


APPLICATION_ACTS = [
    pytest.param("withdraw", {"reason": "申请人{}撤回"}, "reason", id="withdraw-reason"),
    pytest.param("notifications", {"channel": "sms", "note": "已{}告知"}, "note", id="notification-note"),
]


@pytest.mark.parametrize("bad", HOSTILE)
@pytest.mark.parametrize(("act", "body", "field"), APPLICATION_ACTS)
async def test_a_withdrawal_or_notification_with_unstorable_or_control_text_is_refused(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase, act: str, body: dict[str, Any], field: str, bad: str
) -> None:
    application_id = await _application(intake)
    before = await _rows(intake_db)
    hostile = with_value(body, (field,), body[field].format(bad))

    response = await intake.post(
        f"/v1/applications/{application_id}/{act}", content=raw_json(hostile), headers=CLERK | JSON
    )

    assert_refused(response, field)
    assert await _rows(intake_db) == before


@pytest.mark.parametrize("bad", HOSTILE)
async def test_a_material_rule_label_with_unstorable_or_control_text_is_refused(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase, bad: str
) -> None:
    rule = {"region": "23", "kind": "income_proof", "label": f"收入{bad}证明", "effective_from": "2026-01-01"}

    response = await intake.post("/v1/requirements/rules", content=raw_json(rule), headers=HL_ADMIN | JSON)

    assert_refused(response, "label")
    assert await intake_db.scalar("SELECT count(*) FROM material_rules") == 0


def _multipart(filename: bytes, content: bytes) -> tuple[bytes, dict[str, str]]:
    return multipart(("kind", b"id_card"), (filename, content, "application/pdf"))


@pytest.mark.parametrize("filename", [b"id\x00card.pdf", b"id\x07card.pdf", b"id\tcard.pdf"], ids=["nul", "bel", "tab"])
async def test_a_material_whose_file_name_holds_a_nul_or_control_is_refused_and_nothing_stored(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase, filename: bytes
) -> None:
    application_id = await _application(intake)
    before = await _rows(intake_db)
    body, content_type = _multipart(filename, PDF_BYTES)

    response = await intake.post(
        f"/v1/applications/{application_id}/materials", content=body, headers=CLERK | content_type
    )

    assert_refused(response, "file")
    assert response.json()["errors"][0]["loc"] == ["body", "file"]
    assert await _rows(intake_db) == before


async def test_a_material_with_a_plain_file_name_is_still_stored(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase
) -> None:
    application_id = await _application(intake)
    body, content_type = _multipart("身份证.pdf".encode(), PDF_BYTES)

    response = await intake.post(
        f"/v1/applications/{application_id}/materials", content=body, headers=CLERK | content_type
    )

    assert response.status_code == 201, response.text
    assert response.json()["material"]["filename"] == "身份证.pdf"


@pytest.mark.parametrize("cursor", ["%00", "bm90LWEt%00"], ids=["nul", "nul-after-base64"])
async def test_a_cursor_holding_a_nul_is_a_422_and_the_document_says_what_a_cursor_is(
    intake: httpx.AsyncClient, cursor: str
) -> None:
    response = await intake.get(f"/v1/applications?cursor={cursor}", headers=CLERK)

    assert_refused(response, "cursor")
    assert await documented_pattern(intake, "/v1/applications", "cursor") == CURSOR_PATTERN
