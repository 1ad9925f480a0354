"""The workbench over ASGI, with the five services in-process on their real test databases (no broker)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from eligibility_service.app import create_app as eligibility_app
from eligibility_service.settings import Settings as EligibilitySettings
from fastapi import FastAPI
from intake_service.app import create_app as intake_app
from intake_service.settings import Settings as IntakeSettings
from payment_service.app import create_app as payment_app
from payment_service.settings import Settings as PaymentSettings
from review_service.app import create_app as review_app
from review_service.settings import Settings as ReviewSettings
from routing_service.app import create_app as routing_app
from routing_service.settings import Settings as RoutingSettings
from subsidy_shared.settings import ServiceSettings
from workbench.app import create_app
from workbench.settings import WorkbenchSettings

from tests.conftest import ServiceDatabase, truncate_all

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Workbench:
    """A browser-like client of the workbench: keeps its session cookie and the form token of the last page."""

    client: httpx.AsyncClient
    services: dict[str, FastAPI]
    databases: dict[str, ServiceDatabase]
    csrf: str = ""

    async def page(self, path: str, **params: Any) -> httpx.Response:
        response = await self.client.get(path, params=params)
        self._remember_csrf(response)
        return response

    async def submit(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """POST a form as the browser would, with the session's CSRF token."""
        if not self.csrf:
            await self.page("/login")
        response = await self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)
        self._remember_csrf(response)
        return response

    async def sign_in(self, role: str, region: str, name: str = "测试员") -> None:
        await self.page("/login")
        answer = await self.submit("/login", {"role": role, "region": region, "name": name})
        assert answer.status_code == 303, answer.text
        await self.page("/")

    def _remember_csrf(self, response: httpx.Response) -> None:
        found = _CSRF.search(response.text) if "text/html" in response.headers.get("content-type", "") else None
        if found:
            self.csrf = found.group(1)


def _service(create: Callable[[Any], FastAPI], settings_type: type[ServiceSettings], db: ServiceDatabase) -> FastAPI:
    return create(settings_type(env="test", database_url=db.url, run_background_tasks=False))


@pytest.fixture
async def workbench(
    intake_db: ServiceDatabase,
    routing_db: ServiceDatabase,
    eligibility_db: ServiceDatabase,
    payment_db: ServiceDatabase,
    review_db: ServiceDatabase,
) -> AsyncIterator[Callable[..., Any]]:
    """`await workbench()` → a new signed-out browser on a workbench whose five services run in-process.

    Services are shared by every browser of a test; `down=("payment",)` leaves a service unreachable.
    """
    databases = {
        "intake": intake_db,
        "routing": routing_db,
        "eligibility": eligibility_db,
        "payment": payment_db,
        "review": review_db,
    }
    services = {
        "intake": _service(intake_app, IntakeSettings, intake_db),
        "routing": _service(routing_app, RoutingSettings, routing_db),
        "eligibility": _service(eligibility_app, EligibilitySettings, eligibility_db),
        "payment": _service(payment_app, PaymentSettings, payment_db),
        "review": _service(review_app, ReviewSettings, review_db),
    }
    async with contextlib.AsyncExitStack() as stack:
        for app in services.values():
            await stack.enter_async_context(app.router.lifespan_context(app))

        async def browser(down: tuple[str, ...] = ()) -> Workbench:
            transports: dict[str, httpx.AsyncBaseTransport] = {
                name: httpx.ASGITransport(app=app) for name, app in services.items() if name not in down
            }
            # A service that is down: nothing listens on its port.
            settings = WorkbenchSettings(env="test")
            for name in down:
                setattr(settings, f"{name}_url", "http://127.0.0.1:9")
            app = create_app(settings, transports=transports)
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://workbench")
            await stack.enter_async_context(client)
            return Workbench(client, services, databases)

        yield browser
    for db in databases.values():
        await truncate_all(db.engine)
