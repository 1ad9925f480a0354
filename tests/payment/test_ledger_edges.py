"""Ledger edge cases found in review: a run racing a consumer, owed-back months counted once, a suspension
lifted, backpay once per renewal, early renewals, replayed and stale certificate messages."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from payment_service import runs
from subsidy_shared.auth import Principal, Role
from subsidy_shared.events import PersonInformed, PersonInformedData

from tests.conftest import ServiceDatabase, while_uncommitted
from tests.payment.conftest import (
    CIVIL_AFFAIRS,
    NOW,
    Api,
    apply,
    at,
    beneficiary,
    certificate,
    concluded,
    decided,
    handled,
    outbox_events,
    paid_months,
)

OFFICIAL = Principal(sub="county-civil-affairs", role=Role.COUNTY_CIVIL_AFFAIRS, region="230103")


async def test_a_stop_concluded_while_a_run_is_open_waits_and_then_owes_back_what_the_run_paid(
    api: Api, db: ServiceDatabase
) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-11-02", nursing=None))
    async with db.sessionmaker() as session, session.begin():
        await runs.run_month(session, OFFICIAL, "230103", at("2026-11-01").date(), NOW, NOW.date())
        finding = asyncio.create_task(apply(db, concluded(who, "terminate", "2026-11", ("living",))))
        await asyncio.sleep(0.5)
        assert not finding.done()  # the consumer waits for the run's transaction
    await finding

    ledger = await api.ledger(who)
    assert [(d["subsidy"], d["total_fen"]) for d in ledger["overpayments"]] == [("living", 8000)]


async def test_two_findings_of_one_death_owe_each_month_back_once(api: Api, db: ServiceDatabase) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-10-02", nursing=None))
    await api.run("2026-11")

    await apply(db, concluded(who, "terminate", "2026-10", ("living",), reason="死亡记录"))
    await apply(db, concluded(who, "terminate", "2026-10", ("living",), reason="火化记录"))

    debts = (await api.ledger(who))["overpayments"]
    assert [d["total_fen"] for d in debts] == [16000]


async def test_a_suspension_concluded_as_continue_waives_what_it_recorded_as_owed(
    api: Api, db: ServiceDatabase
) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-10-02", nursing=None))
    await api.run("2026-11")
    await apply(db, concluded(who, "suspend", "2026-10", ("living",), reason="人脸识别未通过"))
    await apply(db, concluded(who, "continue", "2026-10", ("living",), reason="入户核实本人健在"))
    api.clock.now = at("2026-12-03")

    december = await api.run("2026-12")

    (debt,) = (await api.ledger(who))["overpayments"]
    assert (debt["total_fen"], debt["outstanding_fen"]) == (16000, 0)
    assert [r["kind"] for r in debt["recoveries"]] == ["waived"]
    assert (december["total_fen"], december["offset_fen"]) == (8000, 0)


async def _renewed_after_a_gap(api: Api, db: ServiceDatabase) -> str:
    who = beneficiary(1)
    await apply(db, certificate(who, issued_on="2016-01-01", expires_on="2026-03-31"))
    await apply(db, decided(who, submitted="2026-02-10", nursing=None))
    await apply(db, certificate(who, "issued", issued_on="2026-10-12", expires_on="2036-10-11", observed="2026-10-13"))
    return who.key


async def test_backpay_is_approved_once_per_renewal(api: Api, db: ServiceDatabase) -> None:
    key = await _renewed_after_a_gap(api, db)
    body = {"subsidy": "living", "months": 3, "reason": "换证延误"}

    first = await api.post(f"/v1/beneficiaries/{key}/backpay", CIVIL_AFFAIRS, body)
    second = await api.post(f"/v1/beneficiaries/{key}/backpay", CIVIL_AFFAIRS, body)

    assert first.status_code == 201 and first.json()["months"] == ["2026-07", "2026-08", "2026-09"]
    assert second.status_code == 409


async def test_being_told_of_the_policy_before_the_card_ran_out_does_not_forfeit_backpay(
    api: Api, db: ServiceDatabase
) -> None:
    key = await _renewed_after_a_gap(api, db)
    told = PersonInformedData(person_key=key, subsidies=("living",), channel="visit", informed_by="township",
                              informed_at=at("2025-06-01"))  # fmt: skip
    await apply(db, PersonInformed(source="test", data=told))

    response = await api.post(f"/v1/beneficiaries/{key}/backpay", CIVIL_AFFAIRS,
                              {"subsidy": "living", "months": 1, "reason": "换证延误"})  # fmt: skip

    assert response.status_code == 201


async def test_a_renewal_dated_before_the_recorded_expiry_pays_the_months_runs_skipped(
    api: Api, db: ServiceDatabase
) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-08-03", nursing=None))
    await apply(db, certificate(who, "expired", expires_on="2026-08-31", observed="2026-09-01"))
    api.clock.now = at("2026-10-08")
    await api.run("2026-10")  # September and October are not paid: the card ran out
    await apply(db, certificate(who, "renewed", issued_on="2026-08-20", expires_on="2036-08-19", observed="2026-10-20"))
    api.clock.now = NOW

    await api.run("2026-11")

    ledger = await api.ledger(who)
    assert [m for m, _ in paid_months(ledger)] == ["2026-08", "2026-09", "2026-10", "2026-11"]
    assert ledger["entitlements"][0]["status"] == "active"


async def test_a_replayed_expiry_or_an_old_card_imported_again_changes_nothing(api: Api, db: ServiceDatabase) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-10-03", nursing=None))
    await apply(db, certificate(who, issued_on="2016-08-20", expires_on="2026-08-19", observed="2016-08-21"))
    await apply(db, certificate(who, "renewed", issued_on="2026-08-10", expires_on="2036-08-09", observed="2026-08-11"))
    await apply(db, certificate(who, "expired", expires_on="2026-08-19", observed="2026-08-20"))  # replayed late
    await apply(db, certificate(who, "issued", issued_on="2016-08-20", expires_on="2026-08-19", observed="2026-11-01"))

    await api.run("2026-11")

    ledger = await api.ledger(who)
    assert ledger["entitlements"][0]["certificate_expires_on"] == "2036-08-09"
    assert [m for m, _ in paid_months(ledger)] == ["2026-10", "2026-11"]


@pytest.mark.parametrize("decision_first", [True, False], ids=["decision-uncommitted", "certificate-uncommitted"])
async def test_a_card_recorded_by_another_replica_as_the_first_entitlement_opens_is_kept(
    db: ServiceDatabase, decision_first: bool
) -> None:
    who = beneficiary(9)
    decision = decided(who, submitted="2026-08-10")
    card = certificate(who, issued_on="2017-01-31", expires_on="2027-01-31", observed="2026-11-21")
    first, second = (decision, card) if decision_first else (card, decision)

    await while_uncommitted(db, handled(first), lambda: apply(db, second))

    async with db.engine.connect() as conn:
        rows = (
            await conn.exec_driver_sql(
                "SELECT subsidy, status, certificate_expires_on FROM entitlements ORDER BY subsidy"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("living", "active", date(2027, 1, 31)),
        ("nursing", "active", date(2027, 1, 31)),
    ]
    assert await outbox_events(db) == []
