"""Review's read models follow events only: decisions, benefit changes, applications, policies."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from review_service.consumers import subscriptions
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.events import (
    ApplicationWithdrawn,
    ApplicationWithdrawnData,
    BenefitChanged,
    BenefitChangedData,
    BenefitResumed,
    BenefitStatusData,
    BenefitSuspended,
    PolicyPublished,
    PolicyPublishedData,
    Reason,
)

from tests.conftest import ServiceDatabase, submitted_event, while_uncommitted
from tests.review.conftest import NOW, apply, beneficiary, decided, someone

REASON = Reason(rule_id="finding.suspend", text="服刑")


async def test_an_approval_makes_a_beneficiary_of_each_subsidy(db: ServiceDatabase) -> None:
    who = someone(1)
    event = await beneficiary(db, who, amounts={"living": 8000, "nursing": 10000}, start_month="2026-04")

    await apply(db, event)  # a redelivery changes nothing

    async with db.engine.connect() as conn:
        rows = (
            await conn.exec_driver_sql(
                "SELECT subsidy, status, since_month, monthly_amount_fen, hukou_region FROM beneficiaries ORDER BY 1"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("living", "active", "2026-04", 8000, "230103002"),
        ("nursing", "active", "2026-04", 10000, "230103002"),
    ]


async def test_a_refusal_makes_no_beneficiary_but_closes_the_application(db: ServiceDatabase) -> None:
    submitted = submitted_event(7)
    await apply(db, submitted)
    refusal = decided(someone(7))
    refused = refusal.data.model_copy(
        update={
            "application_id": submitted.data.application_id,
            "decisions": tuple(d.model_copy(update={"outcome": "refused"}) for d in refusal.data.decisions),
        }
    )
    assert await db.scalar("SELECT count(*) FROM open_applications") == 1

    await apply(db, refusal.model_copy(update={"data": refused}))

    assert await db.scalar("SELECT count(*) FROM open_applications") == 0
    assert await db.scalar("SELECT count(*) FROM beneficiaries") == 0


async def test_a_decision_that_overtakes_its_submission_leaves_no_open_application(db: ServiceDatabase) -> None:
    submitted = submitted_event(8)
    decision = decided(someone(8))
    await apply(db, decision.model_copy(update={"data": decision.data.model_copy(
        update={"application_id": submitted.data.application_id})}))  # fmt: skip

    await apply(db, submitted)

    assert await db.scalar("SELECT count(*) FROM open_applications") == 0


@pytest.mark.parametrize("decision_first", [True, False], ids=["decision-uncommitted", "submission-uncommitted"])
async def test_a_decision_and_its_submission_on_two_replicas_leave_no_open_application(
    db: ServiceDatabase, decision_first: bool
) -> None:
    submitted = submitted_event(10)
    decision = decided(someone(10))
    decision = decision.model_copy(
        update={"data": decision.data.model_copy(update={"application_id": submitted.data.application_id})}
    )
    first, second = (decision, submitted) if decision_first else (submitted, decision)

    async def handle_first(session: AsyncSession) -> None:
        await subscriptions().handlers[first.type](first, session)

    await while_uncommitted(db, handle_first, lambda: apply(db, second))

    assert await db.scalar("SELECT count(*) FROM open_applications") == 0
    assert await db.scalar("SELECT count(*) FROM closed_applications") == 1


async def test_a_withdrawal_closes_the_application(db: ServiceDatabase) -> None:
    submitted = submitted_event(9)
    await apply(db, submitted)
    data = ApplicationWithdrawnData(
        application_id=submitted.data.application_id, person_key=submitted.data.person_key, withdrawn_at=NOW
    )
    await apply(db, ApplicationWithdrawn(source="test", data=data))
    assert await db.scalar("SELECT count(*) FROM open_applications") == 0


async def test_rate_and_status_changes_follow_payment_and_eligibility(db: ServiceDatabase) -> None:
    who = someone(2)
    await beneficiary(db, who)
    changed = BenefitChangedData(
        person_key=who.key,
        subsidy="nursing",
        effective_month="2026-12",
        tier="nursing.grade2",
        monthly_amount_fen=15000,
        policy_version="23-2016-01",
        reason=REASON,
    )
    status = BenefitStatusData(person_key=who.key, subsidy="living", effective_month="2026-12", reason=REASON)

    await apply(db, BenefitChanged(source="test", data=changed))
    await apply(db, BenefitSuspended(source="test", data=status))
    suspended = await db.scalar("SELECT status FROM beneficiaries WHERE subsidy = 'living'")
    await apply(db, BenefitResumed(source="test", data=status))

    assert suspended == "suspended"
    assert await db.scalar("SELECT status FROM beneficiaries WHERE subsidy = 'living'") == "active"
    assert await db.scalar("SELECT monthly_amount_fen FROM beneficiaries WHERE subsidy = 'nursing'") == 15000


def _published(body: dict[str, object]) -> PolicyPublished:
    data = PolicyPublishedData(
        province="23",
        version=str(body.get("version", "?")),
        effective_from=date(2027, 1, 1),
        body=body,
        published_by="hl-admin",
        published_at=NOW,
    )
    return PolicyPublished(source="test", data=data)


async def test_a_published_policy_joins_the_seeded_examples(db: ServiceDatabase) -> None:
    from subsidy_shared.policy import EXAMPLES

    heilongjiang = next(v for v in EXAMPLES if v.province == "23")
    body = heilongjiang.model_copy(update={"version": "23-2027-01", "effective_from": date(2027, 1, 1)})

    await apply(db, _published(body.model_dump(mode="json")))

    assert await db.scalar("SELECT count(*) FROM policies") == len(EXAMPLES) + 1
    assert await db.scalar("SELECT body->>'version' FROM policies WHERE effective_from = '2027-01-01'") == "23-2027-01"


async def test_a_policy_body_this_code_cannot_read_is_refused(db: ServiceDatabase) -> None:
    with pytest.raises(ValidationError):
        await apply(db, _published({"version": "broken", "province": "23"}))
    assert await db.scalar("SELECT count(*) FROM policies WHERE version = 'broken'") == 0
