"""Review fixtures: its real test database, the app over ASGI with a movable clock, builders of registry
lines and of the events its read models follow."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from review_service.app import create_app
from review_service.consumers import subscriptions
from review_service.settings import Settings
from subsidy_shared.auth import Role
from subsidy_shared.events import (
    ApplicationSubmitted,
    ApplicationSubmittedData,
    BankAccount,
    EligibilityDecided,
    EligibilityDecidedData,
    Event,
    Person,
    Reason,
    SubsidyDecision,
)
from subsidy_shared.ids import compose_id_number, person_key
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET

from tests.conftest import ServiceDatabase, token_for, truncate_all
from tests.service_api import Clock, ServiceApi, app_factory
from tests.service_api import at as at  # re-exported: the tests of this service import it from here
from tests.service_api import outbox_events as outbox_events  # re-exported for this service's tests

HARBIN_TOWNSHIP = "230103002"  # 南岗区 township: the hukou of most test people
HARBIN_COUNTY = "230103"
OTHER_COUNTY = "230102"  # 道里区
GUANGZHOU_TOWNSHIP = "440106001"

OPS = token_for(Role.OPS, "230000", sub="ops")
PROVINCE = token_for(Role.PROVINCIAL_ADMIN, "230000", sub="province-admin")
FEDERATION = token_for(Role.COUNTY_DISABILITY_FEDERATION, HARBIN_COUNTY, sub="county-federation")
CIVIL_AFFAIRS = token_for(Role.COUNTY_CIVIL_AFFAIRS, HARBIN_COUNTY, sub="county-civil-affairs")
OTHER_CIVIL_AFFAIRS = token_for(Role.COUNTY_CIVIL_AFFAIRS, OTHER_COUNTY, sub="other-civil-affairs")
TOWNSHIP = token_for(Role.TOWNSHIP_REVIEWER, HARBIN_TOWNSHIP, sub="township-reviewer")
CLERK = token_for(Role.WINDOW_CLERK, HARBIN_TOWNSHIP, sub="window-clerk")


NOW = at("2026-11-25")


@pytest.fixture
async def db(review_db: ServiceDatabase) -> AsyncIterator[ServiceDatabase]:
    yield review_db
    await truncate_all(review_db.engine)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


class Api(ServiceApi):
    async def upload(
        self,
        lines: list[dict[str, Any]] | str,
        headers: dict[str, str] = OPS,
        content_type: str = "application/x-ndjson",
    ) -> httpx.Response:
        text = lines if isinstance(lines, str) else jsonl(lines)
        return await self.client.post(
            "/v1/registry/records", content=text.encode(), headers=headers | {"Content-Type": content_type}
        )


ApiFactory = Callable[..., Awaitable[Api]]


@pytest.fixture
async def api_factory(db: ServiceDatabase, clock: Clock) -> AsyncIterator[ApiFactory]:
    async with app_factory(create_app, Settings, Api, db, clock) as build:
        yield build


@pytest.fixture
async def api(api_factory: ApiFactory) -> Api:
    return await api_factory()


# ---- people and registry lines ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Someone:
    id_number: str
    key: str
    name: str
    hukou: str


def someone(sequence: int, hukou: str = HARBIN_TOWNSHIP, name: str = "张小三") -> Someone:
    born = date(1950 + sequence % 50, 1 + sequence % 12, 1 + sequence % 28)
    id_number = compose_id_number(hukou[:6], born, sequence)
    return Someone(id_number, person_key(id_number, DEV_PERSON_KEY_SECRET), name, hukou)


def line(
    who: Someone,
    kind: str,
    change: str = "started",
    *,
    effective: str | None = None,
    facts: dict[str, Any] | None = None,
    source: str = "test-registry",
    record_id: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "source": source,
        "record_id": record_id or f"{kind}-{who.key[:12]}",
        "record_kind": kind,
        "change": change,
        "id_number": who.id_number,
        "region": region or who.hukou,
    }
    if effective is not None:
        values["effective_date"] = effective
    if facts is not None:
        values["facts"] = facts
    return values


def card(
    who: Someone,
    change: str = "issued",
    *,
    category: int = 4,
    grade: int = 1,
    issued_on: str = "2020-01-01",
    expires_on: str = "2030-01-01",
    **kw: Any,
) -> dict[str, Any]:
    facts = {"category": category, "grade": grade, "issued_on": issued_on, "expires_on": expires_on}
    return line(who, "certificate", change, facts=facts | kw.pop("facts", {}), **kw)


def jsonl(lines: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in lines)


# ---- events the read models follow -------------------------------------------------------------------------


def decided(
    who: Someone,
    amounts: dict[str, int] | None = None,
    *,
    start_month: str = "2026-03",
    grade: int = 1,
    category: int = 4,
) -> EligibilityDecided:
    amounts = amounts or {"living": 8000, "nursing": 10000}
    decisions = tuple(
        SubsidyDecision(
            subsidy=subsidy,
            outcome="approved",
            reasons=(Reason(rule_id="E1", text="ok"),),
            tier=f"{subsidy}.all",
            monthly_amount_fen=fen,
            start_month=start_month,
        )
        for subsidy, fen in amounts.items()
    )
    data = EligibilityDecidedData(
        application_id=uuid.uuid4(),
        person_key=who.key,
        beneficiary=Person(id_number=who.id_number, name=who.name),
        hukou_region=who.hukou,
        accepting_region=who.hukou,
        certificate_number=f"{who.id_number}{category}{grade}",
        bank_account=BankAccount(bank="中国农业银行", account_number="6228480000000000000", holder_name=who.name),
        submitted_at=at(f"{start_month}-10"),
        decided_at=at(f"{start_month}-20"),
        decided_by="county-civil-affairs",
        policy_version="23-2016-01",
        decisions=decisions,
    )
    return EligibilityDecided(source="test", subject=str(data.application_id), data=data)


def submitted(who: Someone, subsidies: tuple[str, ...] = ("living", "nursing")) -> ApplicationSubmitted:
    data = ApplicationSubmittedData.model_validate(
        {
            "application_id": uuid.uuid4(),
            "person_key": who.key,
            "applicant": {"id_number": who.id_number, "name": who.name},
            "hukou_region": who.hukou,
            "accepting_region": who.hukou,
            "certificate_number": f"{who.id_number}41",
            "subsidies": list(subsidies),
            "bank_account": {"bank": "中国农业银行", "account_number": "6228480000000000000", "holder_name": who.name},
            "submitted_at": at("2026-11-20"),
        }
    )
    return ApplicationSubmitted(source="test", subject=str(data.application_id), data=data)


async def apply(db: ServiceDatabase, event: Event) -> None:
    """Run the review handler for `event` in one transaction, as the consumer runner would."""
    async with db.sessionmaker() as session, session.begin():
        await subscriptions().handlers[event.type](event, session)


async def beneficiary(db: ServiceDatabase, who: Someone, **kw: Any) -> EligibilityDecided:
    event = decided(who, **kw)
    await apply(db, event)
    return event


async def audit_rows(db: ServiceDatabase, action: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT actor_sub, actor_role, action, entity, entity_id, allowed, before, after FROM audit_log ORDER BY id"
    async with db.engine.connect() as conn:
        rows = (await conn.exec_driver_sql(sql)).mappings().all()
    return [dict(r) for r in rows if action is None or r["action"] == action]
