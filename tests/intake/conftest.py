from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from intake_service.app import create_app
from intake_service.settings import Settings

from tests.conftest import ServiceDatabase, truncate_all


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
