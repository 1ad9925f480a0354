"""The routing service (业务属地): sends each case to its hukou county and keeps its deadlines."""

from __future__ import annotations

from fastapi import FastAPI
from subsidy_shared.app import create_service_app

from routing_service.consumers import SUBSCRIPTIONS
from routing_service.routes import router
from routing_service.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Liangbu routing service (业务属地)",
        description="Routes cases to the household-registration county and tracks working-day deadlines.",
        routers=[router],
        subscriptions=SUBSCRIPTIONS,
    )
