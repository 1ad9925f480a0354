"""Monthly runs against the real database: arrears, idempotence, expiry, reissue, renewal, stops, recovery."""

from __future__ import annotations

from typing import Any

import pytest
from subsidy_shared.auth import Role
from subsidy_shared.events import (
    BenefitResumed,
    BenefitSuspended,
    BenefitTerminated,
    OverpaymentRecorded,
    PaymentRunCompleted,
    PersonInformed,
    PersonInformedData,
)

from tests.conftest import ServiceDatabase, token_for
from tests.payment.conftest import (
    CIVIL_AFFAIRS,
    GUANGZHOU_TOWNSHIP,
    HL_ADMIN,
    NOW,
    OTHER_HL_COUNTY_TOWNSHIP,
    Api,
    apply,
    at,
    beneficiary,
    certificate,
    concluded,
    decided,
    outbox_events,
    paid_months,
)


async def test_approval_of_an_application_handed_in_months_ago_pays_the_arrears_in_the_next_run(
    api: Api, db: ServiceDatabase
) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-08-10"))

    run = await api.run("2026-11")

    assert (run["paid_count"], run["arrears_count"], run["total_fen"]) == (8, 6, 4 * 8000 + 4 * 10000)
    ledger = await api.ledger(who)
    assert paid_months(ledger) == [("2026-08", 8000), ("2026-09", 8000), ("2026-10", 8000), ("2026-11", 8000)]
    completed = [e for e in await outbox_events(db) if isinstance(e, PaymentRunCompleted)]
    assert completed[0].data.by_subsidy == {"living": 32000, "nursing": 40000}


async def test_running_a_month_twice_pays_nobody_twice(api: Api, db: ServiceDatabase) -> None:
    for sequence in (1, 2, 3):
        await apply(db, decided(beneficiary(sequence), submitted="2026-10-10"))
    first = await api.run("2026-11")

    again = await api.run("2026-11")

    assert (first["paid_count"], again["paid_count"], again["total_fen"]) == (12, 0, 0)
    assert await db.scalar("SELECT count(*) FROM payments") == 12


async def test_the_next_month_pays_only_that_month(api: Api, db: ServiceDatabase) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-09-10"))
    api.clock.now = at("2026-10-08")
    await api.run("2026-10")
    api.clock.now = NOW

    november = await api.run("2026-11")

    assert (november["paid_count"], november["arrears_count"], november["total_fen"]) == (2, 0, 18000)


async def test_a_county_that_skipped_a_month_is_paid_it_by_the_next_run(api: Api, db: ServiceDatabase) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-09-10"))
    await api.run("2026-09")
    api.clock.now = at("2026-12-05")

    december = await api.run("2026-12")

    assert (december["paid_count"], december["arrears_count"]) == (6, 4)
    assert [m for m, _ in paid_months(await api.ledger(who))] == ["2026-09", "2026-10", "2026-11", "2026-12"]


async def test_a_county_run_pays_only_that_county_and_a_province_run_pays_all(api: Api, db: ServiceDatabase) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-11-02"))
    await apply(db, decided(beneficiary(2, hukou=OTHER_HL_COUNTY_TOWNSHIP), submitted="2026-11-02"))

    county = await api.run("2026-11")
    province = await api.run("2026-11", region="230000", headers=HL_ADMIN)

    assert (county["paid_count"], province["paid_count"]) == (2, 2)


async def test_certificate_expiry_stops_the_month_after(api: Api, db: ServiceDatabase) -> None:
    who = beneficiary(1)
    await apply(db, certificate(who, issued_on="2016-09-01", expires_on="2026-09-30"))
    await apply(db, decided(who, submitted="2026-08-10", nursing=None))

    await api.run("2026-11")

    assert [m for m, _ in paid_months(await api.ledger(who))] == ["2026-08", "2026-09"]


async def test_expiry_recorded_later_suspends_and_announces_it(api: Api, db: ServiceDatabase) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-08-10", nursing=None))
    await apply(db, certificate(who, "expired", expires_on="2026-10-15", observed="2026-10-20"))

    await api.run("2026-11")

    assert [m for m, _ in paid_months(await api.ledger(who))] == ["2026-08", "2026-09", "2026-10"]
    suspended = [e for e in await outbox_events(db) if isinstance(e, BenefitSuspended)]
    assert [(e.data.effective_month, e.data.reason.rule_id) for e in suspended] == [("2026-11", "P4")]


async def test_while_a_certificate_is_reissued_the_old_standard_is_paid(api: Api, db: ServiceDatabase) -> None:
    who = beneficiary(1)
    await apply(db, certificate(who, issued_on="2016-09-01", expires_on="2026-09-30"))
    await apply(db, decided(who, submitted="2026-08-10", nursing=None))
    await apply(db, certificate(who, "reissuing", issued_on="2016-09-01", expires_on=None, observed="2026-09-20"))

    await api.run("2026-11")

    assert paid_months(await api.ledger(who)) == [(m, 8000) for m in ("2026-08", "2026-09", "2026-10", "2026-11")]


async def test_a_transition_period_keeps_paying_an_expired_certificate(api: Api, db: ServiceDatabase) -> None:
    await _publish_hl_transition(db, "2026-10", "2026-10")
    who = beneficiary(1)
    await apply(db, certificate(who, issued_on="2016-09-01", expires_on="2026-09-30"))
    await apply(db, decided(who, submitted="2026-08-10", nursing=None))

    await api.run("2026-11")

    assert [m for m, _ in paid_months(await api.ledger(who))] == ["2026-08", "2026-09", "2026-10"]


async def test_a_renewal_pays_from_the_new_certificate_month_and_backpay_needs_an_approval(
    api: Api, db: ServiceDatabase
) -> None:
    who = beneficiary(1)
    await apply(db, certificate(who, issued_on="2016-06-01", expires_on="2026-06-30"))
    await apply(db, decided(who, submitted="2026-05-10", nursing=None))
    api.clock.now = at("2026-07-03")
    await api.run("2026-07")  # pays May and June; July is after the expiry
    await apply(db, certificate(who, "issued", issued_on="2026-10-12", expires_on="2036-10-11", observed="2026-10-13"))
    api.clock.now = NOW

    await api.run("2026-11")
    months = [m for m, _ in paid_months(await api.ledger(who))]
    assert months == ["2026-05", "2026-06", "2026-10", "2026-11"]
    resumed = [e for e in await outbox_events(db) if isinstance(e, BenefitResumed)]
    assert [(e.data.effective_month, e.data.reason.rule_id) for e in resumed] == [("2026-10", "P5")]

    body = {"subsidy": "living", "months": 2, "reason": "换证延误系疫情封控所致"}
    approval = await api.post(f"/v1/beneficiaries/{who.key}/backpay", CIVIL_AFFAIRS, body)
    assert approval.status_code == 201, approval.text
    assert approval.json()["months"] == ["2026-08", "2026-09"]
    backpay = await api.run("2026-11")

    assert (backpay["paid_count"], backpay["arrears_count"]) == (2, 2)
    ledger = await api.ledger(who)
    assert [m for m, _ in paid_months(ledger)] == ["2026-05", "2026-06", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert ledger["backpay"][0]["approved_by"] == "county-civil-affairs"


async def test_backpay_beyond_the_cap_or_for_someone_informed_is_refused(api: Api, db: ServiceDatabase) -> None:
    who = beneficiary(1)
    await apply(db, certificate(who, issued_on="2016-06-01", expires_on="2026-06-30"))
    await apply(db, decided(who, submitted="2026-05-10", nursing=None))
    await apply(db, certificate(who, "issued", issued_on="2026-10-12", expires_on="2036-10-11", observed="2026-10-13"))

    too_many = await api.post(
        f"/v1/beneficiaries/{who.key}/backpay", CIVIL_AFFAIRS, {"subsidy": "living", "months": 4, "reason": "四个月"}
    )
    informed = PersonInformedData(
        person_key=who.key, subsidies=("living",), channel="visit", informed_by="township", informed_at=at("2026-07-01")
    )
    await apply(db, PersonInformed(source="test", data=informed))
    after_informed = await api.post(
        f"/v1/beneficiaries/{who.key}/backpay",
        CIVIL_AFFAIRS,
        {"subsidy": "living", "months": 2, "reason": "已告知未申请"},
    )

    assert too_many.status_code == 422 and too_many.json()["errors"][0]["loc"] == ["body", "months"]
    assert after_informed.status_code == 422 and "P8" in after_informed.json()["errors"][0]["msg"]


async def test_a_rate_change_pays_the_new_tier_from_its_month_at_each_months_policy(
    api: Api, db: ServiceDatabase
) -> None:
    who = beneficiary(1, hukou=GUANGZHOU_TOWNSHIP)
    guangzhou = token_for(Role.COUNTY_CIVIL_AFFAIRS, "440103")
    await apply(
        db,
        decided(who, submitted="2025-11-05", nursing=None, living=("living.all", 20900), policy_version="44-2025-01"),
    )

    await api.run("2026-02", region="440103", headers=guangzhou)

    ledger = await api.ledger(who, guangzhou)
    # 2025 months at 209 yuan, 2026 months at 217 (the 2026 version), all from the one approval.
    assert paid_months(ledger) == [("2025-11", 20900), ("2025-12", 20900), ("2026-01", 21700), ("2026-02", 21700)]


async def test_death_found_late_terminates_and_records_the_overpayment(api: Api, db: ServiceDatabase) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-08-10"))
    await api.run("2026-11")

    await apply(db, concluded(who, "terminate", "2026-09"))
    api.clock.now = at("2026-12-03")
    december = await api.run("2026-12")

    assert december["paid_count"] == 0
    ledger = await api.ledger(who)
    assert {e["status"] for e in ledger["entitlements"]} == {"terminated"}
    debts = {d["subsidy"]: d for d in ledger["overpayments"]}
    assert [m["month"] for m in debts["living"]["months"]] == ["2026-09", "2026-10", "2026-11"]
    assert (debts["living"]["total_fen"], debts["nursing"]["total_fen"]) == (24000, 30000)
    events = await outbox_events(db)
    assert len([e for e in events if isinstance(e, OverpaymentRecorded)]) == 2
    assert len([e for e in events if isinstance(e, BenefitTerminated)]) == 2


async def test_an_overpayment_is_offset_against_later_payments_and_repaid(api: Api, db: ServiceDatabase) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-10-10"))
    await api.run("2026-11")
    await apply(db, concluded(who, "suspend", "2026-11", subsidies=("nursing",), reason="服刑"))
    debt = (await api.ledger(who))["overpayments"][0]
    assert debt["total_fen"] == 10000

    api.clock.now = at("2026-12-03")
    december = await api.run("2026-12")  # living 8000 is paid, all of it taken against the debt
    repaid = await api.post(
        f"/v1/overpayments/{debt['id']}/repayments", CIVIL_AFFAIRS, {"amount_fen": 2000, "reference": "收据 0001"}
    )
    too_much = await api.post(
        f"/v1/overpayments/{debt['id']}/repayments", CIVIL_AFFAIRS, {"amount_fen": 1, "reference": "收据 0002"}
    )

    assert (december["offset_fen"], december["total_fen"]) == (8000, 0)
    assert repaid.status_code == 201 and repaid.json()["outstanding_fen"] == 0
    assert too_much.status_code == 422
    kinds = [r["kind"] for r in (await api.ledger(who))["overpayments"][0]["recoveries"]]
    assert kinds == ["offset", "repayment"]


async def test_a_suspension_concluded_as_continue_resumes_payment(api: Api, db: ServiceDatabase) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-11-02", nursing=None))
    await apply(db, concluded(who, "suspend", "2026-11", subsidies=("living",), reason="失踪待查"))
    api.clock.now = at("2026-12-03")
    await api.run("2026-12")
    await apply(db, concluded(who, "continue", "2026-12", subsidies=("living",), reason="已找到本人"))

    after = await api.run("2026-12")

    assert after["paid_count"] == 1
    assert [m for m, _ in paid_months(await api.ledger(who))] == ["2026-12"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"region": "230103", "month": "2026-13"}, ["body", "month"]),
        ({"region": "999999", "month": "2026-11"}, ["body", "region"]),
        ({"region": "230103", "month": "2027-01"}, ["body", "month"]),
        ({"region": "230103002", "month": "2026-11"}, ["body", "region"]),
        ({"region": "230103", "month": "2026-11", "extra": 1}, ["body", "extra"]),
    ],
    ids=["no-such-month", "unknown-region", "future-month", "township", "unknown-field"],
)
async def test_a_bad_run_request_is_a_422_with_the_field(api: Api, body: dict[str, Any], loc: list[str]) -> None:
    response = await api.post("/v1/payment-runs", CIVIL_AFFAIRS, body)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["loc"] == loc


@pytest.mark.parametrize(
    ("role", "region"),
    [(Role.COUNTY_CIVIL_AFFAIRS, "230102"), (Role.WINDOW_CLERK, "230103002"), (Role.PROVINCIAL_ADMIN, "310000")],
    ids=["other-county", "window-clerk", "other-province"],
)
async def test_only_the_countys_officials_may_start_its_run(
    api: Api, db: ServiceDatabase, role: Role, region: str
) -> None:
    response = await api.post("/v1/payment-runs", token_for(role, region), {"region": "230103", "month": "2026-11"})

    assert response.status_code == 403
    assert await db.scalar("SELECT count(*) FROM payment_runs") == 0
    assert await db.scalar("SELECT count(*) FROM audit_log WHERE NOT allowed") == 1


async def test_the_ledger_masks_personal_data_and_keeps_to_the_region(api: Api, db: ServiceDatabase) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-11-02"))

    ledger = await api.ledger(who)
    elsewhere = await api.get(f"/v1/beneficiaries/{who.key}/ledger", token_for(Role.COUNTY_CIVIL_AFFAIRS, "230102"))

    entitlement = ledger["entitlements"][0]
    assert entitlement["id_number"] == who.id_number[:4] + "*" * 10 + who.id_number[-4:]
    assert entitlement["name"] == "张*三" and entitlement["account_number"].endswith("0000")
    assert "6228480000000000000" not in str(ledger)
    assert elsewhere.status_code == 404  # another area's person is answered as unknown


async def _publish_hl_transition(db: ServiceDatabase, first: str, last: str) -> None:
    from subsidy_shared.events import PolicyPublished, PolicyPublishedData
    from subsidy_shared.policy.examples import HEILONGJIANG_2016

    body = HEILONGJIANG_2016.model_dump(mode="json") | {
        "version": "23-2026-10",
        "effective_from": "2026-10-01",
        "transition_periods": [{"from_month": first, "to_month": last, "reason": "洪涝灾害"}],
    }
    data = PolicyPublishedData(
        province="23",
        version="23-2026-10",
        effective_from=at("2026-10-01").date(),
        body=body,
        published_by="hl-admin",
        published_at=at("2026-09-20"),
    )
    await apply(db, PolicyPublished(source="test", data=data))


async def test_a_line_the_bank_returned_is_not_an_overpayment_when_the_stop_is_found(
    api: Api, db: ServiceDatabase
) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-11-02"))
    await api.run("2026-11")
    async with db.engine.begin() as conn:  # the bank sent the living line back (reconciliation)
        await conn.exec_driver_sql(
            "UPDATE payments SET status = 'failed', failure_reason = '账户已销户', failed_at = now() "
            "WHERE subsidy = 'living'"
        )

    await apply(db, concluded(who, "terminate", "2026-11"))

    ledger = await api.ledger(who)
    assert [(d["subsidy"], d["total_fen"]) for d in ledger["overpayments"]] == [("nursing", 10000)]
    assert {p["subsidy"]: p["status"] for p in ledger["payments"]} == {"living": "cancelled", "nursing": "issued"}


async def test_a_card_that_ran_out_without_an_expired_record_is_suspended_by_the_run_and_announced_once(
    api: Api, db: ServiceDatabase
) -> None:
    who = beneficiary(1)
    await apply(db, certificate(who, issued_on="2016-09-01", expires_on="2026-09-30"))
    await apply(db, decided(who, submitted="2026-08-10", nursing=None))

    await api.run("2026-11")
    await api.run("2026-11")

    ledger = await api.ledger(who)
    assert ledger["entitlements"][0]["status"] == "suspended"
    suspended = [e for e in await outbox_events(db) if isinstance(e, BenefitSuspended)]
    assert [(e.data.effective_month, e.data.reason.rule_id) for e in suspended] == [("2026-10", "P4")]


async def test_a_card_still_valid_this_month_or_being_reissued_is_not_suspended(api: Api, db: ServiceDatabase) -> None:
    valid, reissuing = beneficiary(1), beneficiary(2)
    await apply(db, certificate(valid, issued_on="2016-11-01", expires_on="2026-11-15"))
    await apply(db, certificate(reissuing, issued_on="2016-09-01", expires_on="2026-09-30"))
    for who in (valid, reissuing):
        await apply(db, decided(who, submitted="2026-11-02", nursing=None))
    await apply(db, certificate(reissuing, "reissuing", issued_on="2016-09-01", expires_on=None, observed="2026-10-02"))

    await api.run("2026-11")

    for who in (valid, reissuing):
        assert (await api.ledger(who))["entitlements"][0]["status"] == "active"
    assert not [e for e in await outbox_events(db) if isinstance(e, BenefitSuspended)]
