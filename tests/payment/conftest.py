"""Payment fixtures: its real test database, the app over ASGI with a movable clock, event builders."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from payment_service.app import create_app
from payment_service.consumers import subscriptions
from payment_service.settings import Settings
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.auth import Role
from subsidy_shared.events import (
    BankAccount,
    EligibilityDecided,
    EligibilityDecidedData,
    Event,
    FindingConcluded,
    FindingConcludedData,
    Person,
    RegistryRecordChanged,
    RegistryRecordChangedData,
    SubsidyDecision,
)
from subsidy_shared.ids import person_key
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET

from tests.conftest import ServiceDatabase, application_body, token_for, truncate_all
from tests.service_api import Clock, ServiceApi, app_factory
from tests.service_api import at as at  # re-exported: the tests of this service import it from here
from tests.service_api import outbox_events as outbox_events  # re-exported for this service's tests

HARBIN_TOWNSHIP = "230103002"
HARBIN_COUNTY = "230103"
OTHER_HL_COUNTY_TOWNSHIP = "230102001"
GUANGZHOU_TOWNSHIP = "440103001"

CIVIL_AFFAIRS = token_for(Role.COUNTY_CIVIL_AFFAIRS, HARBIN_COUNTY, sub="county-civil-affairs")
HL_ADMIN = token_for(Role.PROVINCIAL_ADMIN, "230000", sub="hl-admin")


NOW = at("2026-11-23")


@pytest.fixture
async def db(payment_db: ServiceDatabase) -> AsyncIterator[ServiceDatabase]:
    yield payment_db
    await truncate_all(payment_db.engine)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


class Api(ServiceApi):
    async def run(self, month: str, region: str = HARBIN_COUNTY, headers: dict[str, str] | None = None) -> Any:
        response = await self.post("/v1/payment-runs", headers or CIVIL_AFFAIRS, {"region": region, "month": month})
        assert response.status_code == 201, response.text
        return response.json()

    async def ledger(self, who: Beneficiary, headers: dict[str, str] | None = None) -> Any:
        response = await self.get(f"/v1/beneficiaries/{who.key}/ledger", headers or CIVIL_AFFAIRS)
        assert response.status_code == 200, response.text
        return response.json()


ApiFactory = Callable[..., Awaitable[Api]]


@pytest.fixture
async def api_factory(db: ServiceDatabase, clock: Clock) -> AsyncIterator[ApiFactory]:
    async with app_factory(create_app, Settings, Api, db, clock) as build:
        yield build


@pytest.fixture
async def api(api_factory: ApiFactory) -> Api:
    return await api_factory()


# ---- events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Beneficiary:
    id_number: str
    key: str
    hukou: str
    name: str = "张小三"


def beneficiary(sequence: int, hukou: str = HARBIN_TOWNSHIP) -> Beneficiary:
    body = application_body(hukou=hukou, sequence=sequence)
    id_number = body["applicant"]["id_number"]
    return Beneficiary(id_number, person_key(id_number, DEV_PERSON_KEY_SECRET), hukou)


def decided(
    who: Beneficiary,
    *,
    submitted: str = "2026-08-10",
    decided_on: str = "2026-11-20",
    living: tuple[str, int] | None = ("living.all", 8000),
    nursing: tuple[str, int] | None = ("nursing.all", 10000),
    policy_version: str = "23-2016-01",
    account: str = "6228480000000000000",
) -> EligibilityDecided:
    """An approval (or a refusal of a subsidy given None) as eligibility sends it."""
    submitted_at = at(submitted)
    start = submitted[:7]
    decisions = []
    for subsidy, grant in (("living", living), ("nursing", nursing)):
        if grant is None:
            decisions.append(SubsidyDecision(subsidy=subsidy, outcome="refused", reasons=()))
        else:
            decisions.append(
                SubsidyDecision(
                    subsidy=subsidy,
                    outcome="approved",
                    reasons=(),
                    tier=grant[0],
                    monthly_amount_fen=grant[1],
                    start_month=start,
                )
            )
    data = EligibilityDecidedData(
        application_id=uuid.uuid4(),
        person_key=who.key,
        beneficiary=Person(id_number=who.id_number, name=who.name),
        hukou_region=who.hukou,
        accepting_region=who.hukou,
        certificate_number=f"{who.id_number}41",
        bank_account=BankAccount(bank="中国农业银行", account_number=account, holder_name=who.name),
        submitted_at=submitted_at,
        decided_at=at(decided_on),
        decided_by="county-civil-affairs",
        policy_version=policy_version,
        decisions=tuple(decisions),
    )
    return EligibilityDecided(source="test", subject=str(data.application_id), data=data)


def certificate(
    who: Beneficiary,
    change: str = "issued",
    *,
    issued_on: str = "2020-01-01",
    expires_on: str | None = "2030-01-01",
    observed: str = "2026-01-05",
    record_id: str | None = None,
) -> RegistryRecordChanged:
    facts: dict[str, Any] = {"category": 4, "grade": 1, "generation": 2, "issued_on": issued_on}
    if expires_on is not None:
        facts["expires_on"] = expires_on
    data = RegistryRecordChangedData(
        source="test-registry",
        record_id=record_id or f"cert-{who.id_number[-4:]}-{issued_on}",
        record_kind="certificate",
        change=change,
        person_key=who.key,
        id_number=who.id_number,
        effective_date=date.fromisoformat(issued_on) if change != "expired" else None,
        facts=facts,
        observed_at=at(observed),
    )
    return RegistryRecordChanged(source="test", data=data)


def concluded(
    who: Beneficiary,
    action: str,
    effective_month: str,
    subsidies: tuple[str, ...] = ("living", "nursing"),
    reason: str = "火化记录：2026-08-15 死亡",
) -> FindingConcluded:
    data = FindingConcludedData.model_validate(
        {
            "finding_id": uuid.uuid4(),
            "person_key": who.key,
            "subsidies": subsidies,
            "action": action,
            "effective_month": effective_month,
            "concluded_by": "county-civil-affairs",
            "reason": reason,
            "concluded_at": NOW,
        }
    )
    return FindingConcluded(source="test", data=data)


def handled(event: Event, now: datetime = NOW) -> Callable[[AsyncSession], Awaitable[None]]:
    """The handler of `event` as a replica's consumer runs it, in the session it is given."""
    handler = subscriptions(clock=lambda: now).handlers[event.type]

    async def handle(session: AsyncSession) -> None:
        await handler(event, session)

    return handle


async def apply(db: ServiceDatabase, event: Event, now: datetime = NOW) -> None:
    """Run the payment handler for `event` in one transaction, as the consumer runner would."""
    wiring = subscriptions(clock=lambda: now)
    async with db.sessionmaker() as session, session.begin():
        await wiring.handlers[event.type](event, session)


def paid_months(ledger: dict[str, Any], subsidy: str = "living") -> list[tuple[str, int]]:
    return [(p["month"], p["amount_fen"]) for p in ledger["payments"] if p["subsidy"] == subsidy]
