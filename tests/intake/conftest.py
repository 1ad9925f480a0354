from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime

import httpx
import pytest
from intake_service import lifecycle
from intake_service.app import create_app
from intake_service.settings import Settings
from subsidy_shared.events import CaseResultReturned, CaseResultReturnedData, SubsidyOutcome

from tests.conftest import ServiceDatabase, truncate_all
from tests.service_api import Clock, ServiceApi, app_factory, at


@pytest.fixture
async def intake(intake_db: ServiceDatabase) -> AsyncIterator[httpx.AsyncClient]:
    """The intake app over ASGI on its real test database (no broker: the outbox is what is checked)."""
    app = create_app(Settings(env="test", database_url=intake_db.url, run_background_tasks=False))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://intake") as client,
    ):
        yield client
    await truncate_all(intake_db.engine)


class Api(ServiceApi):
    """The intake app over ASGI, with a clock the test moves (`api.clock.now = …`)."""


@pytest.fixture
async def api(intake_db: ServiceDatabase) -> AsyncIterator[Api]:
    async with app_factory(create_app, Settings, Api, intake_db, Clock(at("2026-11-23"))) as build:
        yield await build()
    await truncate_all(intake_db.engine)


async def column_of(db: ServiceDatabase, application_id: str, column: str) -> str:
    sql = f"SELECT {column} FROM applications WHERE id = :id"
    return str(await db.scalar(sql, id=uuid.UUID(application_id)))


async def return_result(
    db: ServiceDatabase, application_id: str, outcomes: tuple[SubsidyOutcome, ...], returned_at: datetime
) -> None:
    """Routing's `case.result_returned` for an application, applied as the intake consumer would."""
    data = CaseResultReturnedData(
        application_id=uuid.UUID(application_id),
        person_key=await column_of(db, application_id, "person_key"),
        accepting_region=await column_of(db, application_id, "accepting_region"),
        outcomes=outcomes,
        returned_at=returned_at,
        notify_due=date(2026, 12, 31),
        decided_at=returned_at,
        decided_by="county-civil-affairs",
    )
    event = CaseResultReturned(source="liangbu/routing", subject=application_id, data=data)
    async with db.sessionmaker() as session, session.begin():
        await lifecycle.on_result_returned(session, event)
