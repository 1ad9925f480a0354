"""Routing fixtures: its real test database, the app over ASGI, event factories, a stand-in province system."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import httpx
import pytest
from fastapi import FastAPI
from routing_service.app import create_app
from routing_service.consumers import subscriptions
from routing_service.exchange import push_pending_cases
from routing_service.settings import Settings
from subsidy_shared.clock import utc_now
from subsidy_shared.events import (
    ApplicationSubmitted,
    ApplicationSubmittedData,
    EligibilityDecided,
    EligibilityDecidedData,
    Event,
    Reason,
    SubsidyDecision,
)

from tests.conftest import ServiceDatabase, application_body, truncate_all
from tests.service_api import outbox_events as outbox_events  # re-exported for this service's tests

HARBIN_WINDOW = "230102001"  # a street office in Harbin's 道里区
CHENGDU_HUKOU = "510104001"  # 成都 锦江区: decided by our own eligibility service
GUANGZHOU_HUKOU = "440106003"  # 广州 天河区: Guangdong runs its own system in these tests
GUANGZHOU_WINDOW = "440106001"
PROVINCE_TOKEN_SECRET = "secret-token"
REFUSAL = "不属于低保家庭"


@pytest.fixture
async def db(routing_db: ServiceDatabase) -> AsyncIterator[ServiceDatabase]:
    yield routing_db
    await truncate_all(routing_db.engine)


def at(day: str, hour: int = 2) -> datetime:
    """An instant on a China date (02:00 UTC is 10:00 in Beijing)."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def submitted(
    *,
    accepting: str = HARBIN_WINDOW,
    hukou: str = CHENGDU_HUKOU,
    complete: datetime | None = None,
    sequence: int = 1,
) -> ApplicationSubmitted:
    body = application_body(hukou=hukou, sequence=sequence)
    moment = complete or at("2026-09-29")
    data = ApplicationSubmittedData.model_validate(
        {
            **body,
            "application_id": uuid.uuid4(),
            "person_key": "pk-" + body["applicant"]["id_number"][-6:],
            "accepting_region": accepting,
            "submitted_at": moment,
            "materials_complete_at": moment,
        }
    )
    return ApplicationSubmitted(source="test", subject=str(data.application_id), data=data)


def decided(
    application: ApplicationSubmitted,
    *,
    when: datetime,
    nursing: Literal["approved", "refused"] = "approved",
    nursing_amount: dict[str, Any] | None = None,
) -> EligibilityDecided:
    """What eligibility sends for `application`: living refused (not in a 低保 household), nursing as given
    (with `nursing_amount`: its tier, monthly_amount_fen and start_month)."""
    app = application.data
    data = EligibilityDecidedData(
        application_id=app.application_id,
        person_key=app.person_key,
        beneficiary=app.applicant,
        hukou_region=app.hukou_region,
        accepting_region=app.accepting_region,
        certificate_number=app.certificate_number,
        bank_account=app.bank_account,
        submitted_at=app.submitted_at,
        decided_at=when,
        decided_by="county-civil-affairs-510104",
        policy_version="51-2026-01",
        decisions=(
            SubsidyDecision(
                subsidy="living", outcome="refused", reasons=(Reason(rule_id="living.dibao", text=REFUSAL),)
            ),
            SubsidyDecision(subsidy="nursing", outcome=nursing, reasons=(), **(nursing_amount or {})),
        ),
    )
    return EligibilityDecided(source="test", subject=str(app.application_id), data=data)


async def apply(
    db: ServiceDatabase, event: Event, now: datetime | None = None, stub: ProvinceSystemStub | None = None
) -> None:
    """Run the routing handler for `event` in one transaction, as the consumer runner would."""
    wiring = subscriptions(settings_for(db, stub), clock=lambda: now or at("2026-09-29"))
    async with db.sessionmaker() as session, session.begin():
        await wiring.handlers[event.type](event, session)


# ---- a province's own system (自建系统), as a real HTTP server on 127.0.0.1 ------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class ProvinceSystemStub:
    """Answers each POST with the next scripted status (200 once the script is used up); `hang` = sleep."""

    script: list[int | str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def answer(self) -> int | str:
        return self.script.pop(0) if self.script else 200


def _handler(stub: ProvinceSystemStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            stub.received.append(Received(self.path, dict(self.headers.items()), body))
            answer = stub.answer()
            if answer == "hang":
                time.sleep(1.0)
                answer = 200
            payload = json.dumps({"status": answer}).encode()
            self.send_response(int(answer))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    return Handler


@pytest.fixture
def province_system() -> Iterator[ProvinceSystemStub]:
    stub = ProvinceSystemStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}/liangbu"
    yield stub
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def settings_for(db: ServiceDatabase, stub: ProvinceSystemStub | None = None, **extra: Any) -> Settings:
    systems = {}
    if stub is not None:
        systems = {"44": {"endpoint": stub.url, "credential": PROVINCE_TOKEN_SECRET, "name": "广东省两项补贴系统"}}
    return Settings.model_validate(
        {"env": "test", "database_url": db.url, "run_background_tasks": False, "province_systems": systems, **extra}
    )


@dataclass
class RoutingApi:
    client: httpx.AsyncClient
    app: FastAPI
    settings: Settings

    def set_now(self, moment: datetime) -> None:
        self.app.dependency_overrides[utc_now] = lambda: moment


ApiFactory = Callable[[Settings], Awaitable[RoutingApi]]


@pytest.fixture
async def api_factory(db: ServiceDatabase) -> AsyncIterator[ApiFactory]:
    """Builds the routing app over ASGI on the test database (no broker: the outbox is what is checked)."""
    async with contextlib.AsyncExitStack() as stack:

        async def build(settings: Settings) -> RoutingApi:
            app = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            client = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://routing"))
            return RoutingApi(client, app, settings)

        yield build


@pytest.fixture
async def api(api_factory: ApiFactory, db: ServiceDatabase) -> RoutingApi:
    """The routing API with no province system configured."""
    return await api_factory(settings_for(db))


# ---- exchange helpers -----------------------------------------------------------------------------

T0 = at("2026-09-29")


async def push(db: ServiceDatabase, settings: Settings, now: datetime, http_timeout: float = 2.0) -> int:
    """One round of the pusher, as the background loop runs it."""
    async with httpx.AsyncClient(timeout=http_timeout) as client:
        return await push_pending_cases(db.sessionmaker, client, settings, now)


async def case_row(db: ServiceDatabase, column: str) -> Any:
    return await db.scalar(f"SELECT {column} FROM cases")


async def routed_to_guangdong(db: ServiceDatabase, stub: ProvinceSystemStub) -> uuid.UUID:
    event = submitted(hukou=GUANGZHOU_HUKOU)
    await apply(db, event, now=T0, stub=stub)
    return event.data.application_id
