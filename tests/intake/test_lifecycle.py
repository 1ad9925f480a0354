"""The intake side of the journey: checklist, materials, agent, read model, result, notification, withdrawal."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from intake_service import lifecycle
from intake_service.app import create_app
from intake_service.settings import Settings
from subsidy_shared.auth import Role
from subsidy_shared.clock import utc_now
from subsidy_shared.events import (
    ApplicationSnapshot,
    BenefitStatusData,
    BenefitTerminated,
    CaseResultReturned,
    CaseResultReturnedData,
    CaseRouted,
    CaseRoutedData,
    Reason,
    SubsidyOutcome,
    decode_event,
)

from tests.conftest import (
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    ServiceDatabase,
    application_body,
    hand_in_materials,
    submit_complete,
    token_for,
    truncate_all,
)

WINDOW = "230102001"
CLERK = token_for(Role.WINDOW_CLERK, WINDOW)
NATIONAL = ["application_form", "id_card", "household_register", "disability_certificate", "photo", "bank_card"]
PROXY = ["agent_id_card", "proxy_relation_proof", "commitment_letter"]
# Tuesday 2026-09-29, 10:00 in Beijing: the 国庆 holiday (Oct 1–7) falls inside every clock.
BEFORE_NATIONAL_DAY = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def clock() -> Clock:
    return Clock(BEFORE_NATIONAL_DAY)


@pytest.fixture
async def intake(intake_db: ServiceDatabase, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(env="test", database_url=intake_db.url, run_background_tasks=False, materials_max_bytes=4096)
    app = create_app(settings)
    app.dependency_overrides[utc_now] = clock
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://intake") as client,
    ):
        yield client
    await truncate_all(intake_db.engine)


async def _events(db: ServiceDatabase) -> list[Any]:
    async with db.engine.connect() as conn:
        payloads = (await conn.exec_driver_sql("SELECT payload FROM outbox ORDER BY seq")).scalars().all()
    return [decode_event(p) for p in payloads]


# ---- 一次性告知 ---------------------------------------------------------------------------------


async def test_requirements_list_every_material_at_once_and_proxy_adds_three(intake: httpx.AsyncClient) -> None:
    own = await intake.get("/v1/requirements", params={"hukou_region": "230103002"}, headers=CLERK)
    proxied = await intake.get("/v1/requirements", params={"hukou_region": "230103002", "proxy": "true"}, headers=CLERK)

    assert [m["kind"] for m in own.json()["materials"]] == NATIONAL
    assert [m["kind"] for m in proxied.json()["materials"]] == NATIONAL + PROXY
    assert own.json()["materials"][0]["label"] == "申请表"


async def test_a_province_rule_adds_dibao_proof_for_living_only_from_its_date(
    intake: httpx.AsyncClient, clock: Clock
) -> None:
    admin = token_for(Role.PROVINCIAL_ADMIN, "230000")
    rule = {
        "region": "23",
        "kind": "dibao_certificate",
        "label": "低保证明",
        "subsidy": "living",
        "effective_from": "2026-10-01",
    }
    created = await intake.post("/v1/requirements/rules", json=rule, headers=admin)
    assert created.status_code == 201, created.text

    async def kinds(subsidies: list[str], hukou: str = "230103002") -> list[str]:
        answer = await intake.get(
            "/v1/requirements", params={"hukou_region": hukou, "subsidies": subsidies}, headers=CLERK
        )
        return [m["kind"] for m in answer.json()["materials"]]

    assert "dibao_certificate" not in await kinds(["living"])  # 2026-09-29: not yet in force
    clock.now = datetime(2026, 10, 2, 2, 0, tzinfo=UTC)
    assert (await kinds(["living", "nursing"]))[-1] == "dibao_certificate"
    assert "dibao_certificate" not in await kinds(["nursing"])
    assert "dibao_certificate" not in await kinds(["living"], hukou="510104001")  # Sichuan is not bound

    ended = await intake.post(
        f"/v1/requirements/rules/{created.json()['id']}/end", json={"effective_to": "2026-10-03"}, headers=admin
    )
    assert ended.status_code == 200
    clock.now = datetime(2026, 10, 3, 2, 0, tzinfo=UTC)
    assert "dibao_certificate" not in await kinds(["living"])


@pytest.mark.parametrize(
    ("role", "region", "body_region", "status"),
    [
        (Role.WINDOW_CLERK, "230102001", "23", 403),
        (Role.PROVINCIAL_ADMIN, "510000", "23", 403),
        (Role.PROVINCIAL_ADMIN, "230000", "99", 422),
        (Role.PROVINCIAL_ADMIN, "230000", "2301", 201),
    ],
)
async def test_only_a_provincial_admin_keeps_rules_for_their_own_province(
    intake: httpx.AsyncClient, role: Role, region: str, body_region: str, status: int
) -> None:
    rule = {"region": body_region, "kind": "income_proof", "label": "家庭收入证明", "effective_from": "2026-01-01"}
    response = await intake.post("/v1/requirements/rules", json=rule, headers=token_for(role, region))
    assert response.status_code == status, response.text


# ---- materials -------------------------------------------------------------------------------


async def test_an_agent_makes_the_proxy_materials_required(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase
) -> None:
    body = application_body(sequence=21)
    body["agent"] = {
        "id_number": application_body(sequence=22)["applicant"]["id_number"],
        "name": "李四",
        "relation": "family",
        "phone": "13900000000",
    }
    created = (await intake.post("/v1/applications", json=body, headers=CLERK)).json()
    assert created["missing_materials"] == NATIONAL + PROXY

    last = await hand_in_materials(intake, "", created["id"], CLERK, NATIONAL)
    assert last["status"] == "materials_pending" and last["missing_materials"] == PROXY
    assert await intake_db.scalar("SELECT count(*) FROM outbox") == 0

    last = await hand_in_materials(intake, "", created["id"], CLERK, PROXY)
    assert last["status"] == "complete"
    assert [e.type for e in await _events(intake_db)] == ["subsidy.application.submitted.v1"]


async def test_an_agent_with_a_bad_id_number_is_a_422(intake: httpx.AsyncClient) -> None:
    body = application_body(sequence=23)
    body["agent"] = {"id_number": "110105194912310021", "name": "李四", "relation": "family"}
    response = await intake.post("/v1/applications", json=body, headers=CLERK)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:3] == ["body", "agent", "id_number"]


@pytest.mark.parametrize(
    ("filename", "content", "status"),
    [
        pytest.param("scan.pdf", b"MZ\x90\x00 an executable renamed", 415, id="exe-named-pdf"),
        pytest.param("note.txt", b"just some text", 415, id="text"),
        pytest.param("big.pdf", b"%PDF-1.4\n" + b"0" * 5000, 413, id="over-the-limit"),
        pytest.param("empty.pdf", b"", 422, id="empty"),
    ],
)
async def test_a_file_that_is_not_pdf_jpeg_png_or_too_big_is_refused_and_nothing_stored(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase, filename: str, content: bytes, status: int
) -> None:
    created = (await intake.post("/v1/applications", json=application_body(sequence=31), headers=CLERK)).json()

    response = await intake.post(
        f"/v1/applications/{created['id']}/materials",
        data={"kind": "id_card"},
        files={"file": (filename, content, "application/pdf")},
        headers=CLERK,
    )

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await intake_db.scalar("SELECT count(*) FROM materials") == 0
    steps = await intake_db.scalar("SELECT count(*) FROM application_steps WHERE step = 'material_added'")
    assert steps == 0


async def test_materials_are_typed_by_content_hashed_and_downloaded_with_an_audit_row(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase
) -> None:
    created = (await intake.post("/v1/applications", json=application_body(sequence=32), headers=CLERK)).json()
    uploads = {}
    for kind, content in (("photo", JPEG_BYTES), ("bank_card", PNG_BYTES), ("id_card", PDF_BYTES)):
        response = await intake.post(
            f"/v1/applications/{created['id']}/materials",
            data={"kind": kind},
            files={"file": (f"{kind}.bin", content, "application/octet-stream")},
            headers=CLERK,
        )
        assert response.status_code == 201, response.text
        uploads[kind] = response.json()["material"]
    assert uploads["photo"]["content_type"] == "image/jpeg"
    assert uploads["bank_card"]["content_type"] == "image/png"
    import hashlib

    assert uploads["id_card"]["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()

    reviewer = token_for(Role.TOWNSHIP_REVIEWER, "510104001")  # the hukou locality may read them
    download = await intake.get(
        f"/v1/applications/{created['id']}/materials/{uploads['id_card']['id']}", headers=reviewer
    )
    assert download.status_code == 200 and download.content == PDF_BYTES
    assert download.headers["content-type"] == "application/pdf"
    audited = await intake_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'material.download'")
    assert audited == 1

    stranger = token_for(Role.TOWNSHIP_REVIEWER, "440106003")
    refused = await intake.get(
        f"/v1/applications/{created['id']}/materials/{uploads['id_card']['id']}", headers=stranger
    )
    assert refused.status_code == 404

    wrong_kind = await intake.post(
        f"/v1/applications/{created['id']}/materials",
        data={"kind": "dibao_certificate"},
        files={"file": ("x.pdf", PDF_BYTES, "application/pdf")},
        headers=CLERK,
    )
    assert wrong_kind.status_code == 422 and wrong_kind.json()["errors"][0]["loc"] == ["body", "kind"]


# ---- the result, the read model, the notification ---------------------------------------------


def _routed(application_id: str, detail: dict[str, Any], received_at: datetime) -> CaseRouted:
    snapshot = ApplicationSnapshot.model_validate(
        {
            **application_body(sequence=41),
            "application_id": application_id,
            "person_key": "pk",
            "accepting_region": WINDOW,
            "submitted_at": received_at,
        }
    )
    data = CaseRoutedData(
        application_id=uuid.UUID(application_id),
        person_key="pk",
        scope="cross_province",
        locality_county="510104",
        locality_township="510104001",
        accepting_region=WINDOW,
        hukou_region="510104001",
        received_at=received_at,
        push_due=date(2026, 10, 9),
        decision_due=date(2026, 10, 21),
        application=snapshot,
    )
    return CaseRouted(source="liangbu/routing", subject=application_id, data=data)


def _returned(application_id: str, approved: list[str], refused: list[str], at: datetime) -> CaseResultReturned:
    outcomes = [SubsidyOutcome(subsidy=s, outcome="approved") for s in approved] + [
        SubsidyOutcome(subsidy=s, outcome="refused", reasons=(Reason(rule_id="living.dibao", text="不属于低保家庭"),))
        for s in refused
    ]
    data = CaseResultReturnedData(
        application_id=uuid.UUID(application_id),
        person_key="pk",
        accepting_region=WINDOW,
        outcomes=tuple(outcomes),
        returned_at=at,
        notify_due=date(2026, 10, 27),
        decided_at=at,
        decided_by="county-510104",
    )
    return CaseResultReturned(source="liangbu/routing", subject=application_id, data=data)


async def _apply(db: ServiceDatabase, handler: Any, event: Any) -> None:
    async with db.sessionmaker() as session, session.begin():
        await handler(session, event)


async def test_the_whole_window_journey_with_timeline_deadlines_and_decision(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase, clock: Clock
) -> None:
    application_id = await submit_complete(intake, "", CLERK, application_body(sequence=41))
    await _apply(intake_db, lifecycle.on_case_routed, _routed(application_id, {}, BEFORE_NATIONAL_DAY))
    returned_at = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)
    await _apply(
        intake_db, lifecycle.on_result_returned, _returned(application_id, ["nursing"], ["living"], returned_at)
    )

    clock.now = datetime(2026, 10, 26, 2, 0, tzinfo=UTC)  # Monday; notify due Tuesday 10-27: at risk
    detail = (await intake.get(f"/v1/applications/{application_id}", headers=CLERK)).json()
    assert detail["status"] == "decided"
    clocks = {d["name"]: d for d in detail["deadlines"]}
    # complete 09-29 → 3 working days: 09-30, then the holiday 10-01…10-07, then 10-08 (Thu) and 10-09 (Fri)
    assert clocks["push"] == {
        "name": "push",
        "due": "2026-10-09",
        "done_on": "2026-09-29",
        "state": "on_time",
        "met": True,
    }
    assert clocks["decision"]["state"] == "on_time" and clocks["decision"]["met"] is True
    assert clocks["notify"]["state"] == "at_risk" and clocks["notify"]["done_on"] is None
    outcomes = {o["subsidy"]: o for o in detail["decision"]["outcomes"]}
    assert outcomes["living"]["outcome"] == "refused" and outcomes["living"]["reasons"][0]["text"] == "不属于低保家庭"
    steps = [s["step"] for s in detail["timeline"]]
    assert steps[0] == "received" and steps[-3:] == ["complete", "pushed", "decided"]
    assert detail["timeline"][0]["actor_role"] == "window_clerk"

    told = await intake.post(f"/v1/applications/{application_id}/notifications", json={"channel": "sms"}, headers=CLERK)
    assert told.status_code == 201, told.text
    detail = (await intake.get(f"/v1/applications/{application_id}", headers=CLERK)).json()
    assert detail["status"] == "notified"
    assert {d["name"]: d for d in detail["deadlines"]}["notify"]["met"] is True
    types = [e.type for e in await _events(intake_db)]
    assert types == ["subsidy.application.submitted.v1", "subsidy.applicant.notified.v1"]

    # The refused subsidy is free again; the approved one is now received: a new nursing claim is 重复领取.
    other_window = token_for(Role.WINDOW_CLERK, "440106003")
    living = await intake.post(
        "/v1/applications", json=application_body(sequence=41, subsidies=("living",)), headers=other_window
    )
    assert living.status_code == 201, living.text
    nursing = await intake.post(
        "/v1/applications", json=application_body(sequence=41, subsidies=("nursing",)), headers=other_window
    )
    assert nursing.status_code == 409
    assert nursing.json()["claim_state"] == "receiving"
    assert nursing.json()["existing_application_id"] == application_id


async def test_a_terminated_benefit_lets_the_person_apply_again(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase
) -> None:
    application_id = await submit_complete(intake, "", CLERK, application_body(sequence=42, subsidies=("nursing",)))
    await _apply(
        intake_db, lifecycle.on_result_returned, _returned(application_id, ["nursing"], [], BEFORE_NATIONAL_DAY)
    )
    person_key = await intake_db.scalar("SELECT person_key FROM applications")
    terminated = BenefitTerminated(
        source="liangbu/payment",
        data=BenefitStatusData(
            person_key=person_key,
            subsidy="nursing",
            effective_month="2026-11",
            reason=Reason(rule_id="stop.cert_expired", text="残疾人证过期"),
        ),
    )
    again = application_body(sequence=42, subsidies=("nursing",))
    assert (await intake.post("/v1/applications", json=again, headers=CLERK)).status_code == 409

    await _apply(intake_db, lifecycle.on_benefit_terminated, terminated)

    assert (await intake.post("/v1/applications", json=again, headers=CLERK)).status_code == 201


async def test_notification_before_the_result_is_a_409_and_in_the_future_a_422(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase
) -> None:
    application_id = await submit_complete(intake, "", CLERK, application_body(sequence=43))
    early = await intake.post(
        f"/v1/applications/{application_id}/notifications", json={"channel": "phone"}, headers=CLERK
    )
    assert early.status_code == 409

    await _apply(
        intake_db, lifecycle.on_result_returned, _returned(application_id, ["living"], [], BEFORE_NATIONAL_DAY)
    )
    future = await intake.post(
        f"/v1/applications/{application_id}/notifications",
        json={"channel": "phone", "notified_at": "2027-01-01T00:00:00Z"},
        headers=CLERK,
    )
    assert future.status_code == 422 and future.json()["errors"][0]["loc"] == ["body", "notified_at"]
    unknown = await intake.post(
        f"/v1/applications/{application_id}/notifications", json={"channel": "pigeon"}, headers=CLERK
    )
    assert unknown.status_code == 422


async def test_withdrawal_frees_the_claim_sends_its_event_and_stops_uploads(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase
) -> None:
    created = (await intake.post("/v1/applications", json=application_body(sequence=44), headers=CLERK)).json()

    withdrawn = await intake.post(
        f"/v1/applications/{created['id']}/withdraw", json={"reason": "申请人撤回"}, headers=CLERK
    )

    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert [e.type for e in await _events(intake_db)] == ["subsidy.application.withdrawn.v1"]
    late = await intake.post(
        f"/v1/applications/{created['id']}/materials",
        data={"kind": "id_card"},
        files={"file": ("id.pdf", PDF_BYTES, "application/pdf")},
        headers=CLERK,
    )
    assert late.status_code == 409
    again = await intake.post("/v1/applications", json=application_body(sequence=44), headers=CLERK)
    assert again.status_code == 201
    twice = await intake.post(f"/v1/applications/{created['id']}/withdraw", json={"reason": "x"}, headers=CLERK)
    assert twice.status_code == 409


async def test_a_denial_outside_the_region_is_answered_as_not_found_and_audited_with_its_reason(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase
) -> None:
    created = (await intake.post("/v1/applications", json=application_body(sequence=45), headers=CLERK)).json()
    stranger = token_for(Role.WINDOW_CLERK, "440106003")

    response = await intake.post(
        f"/v1/applications/{created['id']}/withdraw", json={"reason": "不是我受理的"}, headers=stranger
    )

    assert response.status_code == 404 and response.json()["detail"] == f"no application {created['id']}"
    async with intake_db.engine.connect() as conn:
        row = (
            await conn.exec_driver_sql(
                "SELECT actor_region, action, allowed, after FROM audit_log WHERE allowed IS FALSE"
            )
        ).one()
    region, action, after = row.actor_region, row.action, row.after
    assert region == "440106003" and action == "denied POST" and after["reason"].startswith("outside")
    assert await intake_db.scalar("SELECT status FROM applications") == "materials_pending"


async def test_a_notification_time_without_a_timezone_is_a_422_not_a_500(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase
) -> None:
    application_id = await submit_complete(intake, "", CLERK, application_body(sequence=46))
    await _apply(
        intake_db, lifecycle.on_result_returned, _returned(application_id, ["living"], [], BEFORE_NATIONAL_DAY)
    )

    response = await intake.post(
        f"/v1/applications/{application_id}/notifications",
        json={"channel": "phone", "notified_at": "2026-09-29T12:00:00"},
        headers=CLERK,
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "notified_at"]


async def test_an_approval_decided_before_a_late_withdrawal_stands_and_counts_as_received(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase
) -> None:
    body = application_body(sequence=47, subsidies=("nursing",))
    application_id = await submit_complete(intake, "", CLERK, body)
    await _apply(intake_db, lifecycle.on_case_routed, _routed(application_id, {}, BEFORE_NATIONAL_DAY))
    withdrawn = await intake.post(f"/v1/applications/{application_id}/withdraw", json={"reason": "撤回"}, headers=CLERK)
    assert withdrawn.status_code == 200

    await _apply(
        intake_db, lifecycle.on_result_returned, _returned(application_id, ["nursing"], [], BEFORE_NATIONAL_DAY)
    )

    detail = (await intake.get(f"/v1/applications/{application_id}", headers=CLERK)).json()
    assert detail["status"] == "decided"
    again = await intake.post("/v1/applications", json=body, headers=CLERK)
    assert again.status_code == 409 and again.json()["claim_state"] == "receiving"


async def test_another_provinces_system_cannot_read_application_files(intake: httpx.AsyncClient) -> None:
    created = (await intake.post("/v1/applications", json=application_body(sequence=48), headers=CLERK)).json()
    system = token_for(Role.PROVINCE_SYSTEM, "510000")  # the hukou province's own system

    assert (await intake.get(f"/v1/applications/{created['id']}", headers=system)).status_code == 403
    assert (await intake.get("/v1/applications", headers=system)).status_code == 403
