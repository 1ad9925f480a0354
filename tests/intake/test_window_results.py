"""What reaches the window after the decision: amounts, tier and start month; a payment the bank refused."""

from __future__ import annotations

from aiokafka import ConsumerRecord
from intake_service.consumers import SUBSCRIPTIONS
from intake_service.settings import Settings
from subsidy_shared.auth import Role
from subsidy_shared.bus import ConsumerRunner
from subsidy_shared.events import Event, PaymentFailed, PaymentFailedData, Reason, SubsidyOutcome, encode_event

from tests.conftest import ServiceDatabase, application_body, submit_complete, token_for
from tests.intake.conftest import Api, column_of, return_result
from tests.service_api import at

CLERK = token_for(Role.WINDOW_CLERK, "230102001")
NURSING_APPROVED = SubsidyOutcome(
    subsidy="nursing", outcome="approved", tier="grade1", monthly_amount_fen=12000, start_month="2026-11"
)
LIVING_REFUSED = SubsidyOutcome(
    subsidy="living", outcome="refused", reasons=(Reason(rule_id="E1.dibao", text="不属于低保家庭"),)
)


async def decided_application(api: Api, db: ServiceDatabase, sequence: int) -> str:
    application_id = await submit_complete(api.client, "", CLERK, application_body(sequence=sequence))
    await return_result(db, application_id, (LIVING_REFUSED, NURSING_APPROVED), at("2026-12-01"))
    return application_id


def payment_failed(person_key: str, subsidy: str = "nursing") -> PaymentFailed:
    data = PaymentFailedData.model_validate(
        {
            "run_id": "6f1f0c3e-8d0c-4b9e-9d43-2f0e3a9c1b11",
            "person_key": person_key,
            "subsidy": subsidy,
            "month": "2026-11",
            "amount_fen": 12000,
            "reason": "账户已销户",
        }
    )
    return PaymentFailed(source="liangbu/payment", data=data, time=at("2026-12-10"))


async def consume(db: ServiceDatabase, event: Event, offset: int) -> None:
    """Through the real consumer runner (inbox included), as a message from subsidy.payments."""
    settings = Settings(env="test", database_url=db.url, run_background_tasks=False)
    runner = ConsumerRunner(settings, db.sessionmaker, None, SUBSCRIPTIONS.handlers, list(SUBSCRIPTIONS.topics))
    value = encode_event(event)
    await runner.process(ConsumerRecord(event.topic, 0, offset, 0, 0, None, value, None, 0, len(value), ()))


async def steps(api: Api, application_id: str) -> list[dict[str, object]]:
    detail = (await api.get(f"/v1/applications/{application_id}", CLERK)).json()
    return list(detail["timeline"])


async def test_the_decision_at_the_window_carries_tier_monthly_amount_and_start_month(
    api: Api, intake_db: ServiceDatabase
) -> None:
    application_id = await decided_application(api, intake_db, 71)

    response = await api.get(f"/v1/applications/{application_id}", CLERK)

    assert response.status_code == 200, response.text
    outcomes = {o["subsidy"]: o for o in response.json()["decision"]["outcomes"]}
    assert outcomes["nursing"] == {
        "subsidy": "nursing",
        "outcome": "approved",
        "reasons": [],
        "tier": "grade1",
        "monthly_amount_fen": 12000,
        "start_month": "2026-11",
    }
    assert outcomes["living"]["outcome"] == "refused"
    assert (outcomes["living"]["tier"], outcomes["living"]["monthly_amount_fen"]) == (None, None)
    assert outcomes["living"]["start_month"] is None


async def test_a_failed_payment_shows_once_on_the_timeline_of_the_approved_application(
    api: Api, intake_db: ServiceDatabase
) -> None:
    application_id = await decided_application(api, intake_db, 72)
    event = payment_failed(await column_of(intake_db, application_id, "person_key"))

    await consume(intake_db, event, 0)
    await consume(intake_db, event, 1)  # redelivered: the inbox makes it a no-op

    failed = [s for s in await steps(api, application_id) if s["step"] == "payment_failed"]
    assert len(failed) == 1
    assert failed[0]["detail"] == {
        "subsidy": "nursing",
        "month": "2026-11",
        "amount_fen": 12000,
        "reason": "账户已销户",
    }
    assert failed[0]["actor"] == "liangbu/payment" and failed[0]["at"] == "2026-12-10T02:00:00Z"


async def test_a_failed_payment_of_a_subsidy_not_approved_or_of_someone_else_leaves_no_step(
    api: Api, intake_db: ServiceDatabase
) -> None:
    application_id = await decided_application(api, intake_db, 73)
    undecided = await submit_complete(api.client, "", CLERK, application_body(sequence=74))

    await consume(intake_db, payment_failed(await column_of(intake_db, application_id, "person_key"), "living"), 0)
    await consume(intake_db, payment_failed(await column_of(intake_db, undecided, "person_key")), 1)
    await consume(intake_db, payment_failed("pk-nobody-known-here"), 2)

    for known in (application_id, undecided):
        assert "payment_failed" not in [s["step"] for s in await steps(api, known)]
    assert await intake_db.scalar("SELECT count(*) FROM inbox") == 3
