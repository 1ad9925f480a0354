"""The routing service (业务属地): sends each case to its hukou county and keeps its deadlines."""

from __future__ import annotations

from fastapi import FastAPI
from subsidy_shared.app import create_service_app

from routing_service import scheduler
from routing_service.consumers import subscriptions
from routing_service.routes import exchange_router, router
from routing_service.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="Liangbu routing service (业务属地)",
        description="Routes cases to the household-registration county, exchanges them with provinces that "
        "run their own systems, and tracks the working-day deadlines.",
        routers=[router, exchange_router],
        subscriptions=subscriptions(settings),
        background=[scheduler.scan_breaches_forever, scheduler.push_forever],
    )
