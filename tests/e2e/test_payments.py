"""Payment end to end over real Kafka: a decision three months after the application pays the arrears; an
expired certificate stops the month after; the run's summary reaches the payments topic."""

from __future__ import annotations

from typing import Any

import httpx
from subsidy_shared.auth import Role
from subsidy_shared.events import Event, encode_event

from tests.conftest import token_for
from tests.e2e.conftest import System, eventually
from tests.payment.conftest import beneficiary, certificate, decided

DAOWAI = "230104"  # a county only this test pays, so other tests' beneficiaries do not mix in
OFFICIAL = token_for(Role.COUNTY_CIVIL_AFFAIRS, DAOWAI, sub="daowai-civil-affairs")


async def _produce(system: System, event: Event) -> None:
    await system.produce(event.topic, encode_event(event), key=(event.key or "").encode())


async def _ledger(http: httpx.AsyncClient, system: System, key: str) -> dict[str, Any] | None:
    response = await http.get(f"{system.url('payment')}/v1/beneficiaries/{key}/ledger", headers=OFFICIAL)
    return response.json() if response.status_code == 200 else None


async def test_arrears_are_paid_from_the_application_month_and_expiry_stops_the_month_after(
    system: System, http: httpx.AsyncClient
) -> None:
    arrears = beneficiary(5101, hukou=f"{DAOWAI}001")
    expiring = beneficiary(5102, hukou=f"{DAOWAI}001")
    await _produce(system, certificate(expiring, issued_on="2016-10-21", expires_on="2026-10-20"))
    for who in (arrears, expiring):
        await _produce(system, decided(who, submitted="2026-08-12", decided_on="2026-11-18"))

    async def both_known() -> bool:
        ledgers = [await _ledger(http, system, who.key) for who in (arrears, expiring)]
        return all(ledgers) and ledgers[1]["entitlements"][0]["certificate_expires_on"] == "2026-10-20"  # type: ignore[index]

    await eventually(both_known)
    response = await http.post(
        f"{system.url('payment')}/v1/payment-runs", json={"region": DAOWAI, "month": "2026-11"}, headers=OFFICIAL
    )
    assert response.status_code == 201, response.text
    run = response.json()

    paid = await _ledger(http, system, arrears.key)
    stopped = await _ledger(http, system, expiring.key)
    assert paid and stopped
    months = sorted({p["month"] for p in paid["payments"]})
    assert months == ["2026-08", "2026-09", "2026-10", "2026-11"]  # three months of arrears and the current one
    assert paid["total_paid_fen"] == 4 * 8000 + 4 * 10000
    assert sorted({p["month"] for p in stopped["payments"]}) == ["2026-08", "2026-09", "2026-10"]  # not November
    assert (run["paid_count"], run["arrears_count"]) == (14, 12)

    async def summary_published() -> list[Event]:
        return [
            e
            for e in await system.events("subsidy.payments", "subsidy.payment_run.completed.v1")
            if str(e.data.run_id) == run["id"]
        ]

    (completed,) = await eventually(summary_published)
    assert completed.data.total_fen == run["total_fen"] == 4 * 8000 + 4 * 10000 + 3 * 8000 + 3 * 10000
