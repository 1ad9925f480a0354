"""One way to test a service over HTTP: its app over ASGI on its real test database, with a movable clock."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from subsidy_shared.clock import utc_now
from subsidy_shared.events import Event, decode_event
from subsidy_shared.settings import ServiceSettings

from tests.conftest import ServiceDatabase


def at(day: str, hour: int = 2) -> datetime:
    """An instant on a China date (02:00 UTC is 10:00 in Beijing)."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


class Clock:
    """What `utc_now` answers in a test; a test moves it by setting `now`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class ServiceApi:
    client: httpx.AsyncClient
    app: FastAPI
    db: ServiceDatabase
    clock: Clock

    async def post(self, path: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.post(path, json=body or {}, headers=headers)

    async def get(self, path: str, headers: dict[str, str], **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=headers)


A = TypeVar("A", bound=ServiceApi)


@contextlib.asynccontextmanager
async def app_factory(
    create_app: Callable[[Any], FastAPI],
    settings_type: type[ServiceSettings],
    api_type: type[A],
    db: ServiceDatabase,
    clock: Clock,
) -> AsyncIterator[Callable[..., Awaitable[A]]]:
    """Builds the app on the test database with background tasks off (the outbox is what is checked)."""
    async with contextlib.AsyncExitStack() as stack:

        async def build(**settings: Any) -> A:
            config = settings_type(env="test", database_url=db.url, run_background_tasks=False, **settings)
            app = create_app(config)
            app.dependency_overrides[utc_now] = clock
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            client = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://test"))
            return api_type(client, app, db, clock)

        yield build


async def outbox_events(db: ServiceDatabase, type_: str | None = None) -> list[Event]:
    """What a service queued to publish, oldest first (optionally one event type)."""
    async with db.engine.connect() as conn:
        payloads = (await conn.exec_driver_sql("SELECT payload FROM outbox ORDER BY seq")).scalars().all()
    events = [decode_event(p) for p in payloads]
    return [e for e in events if type_ is None or e.type == type_]
