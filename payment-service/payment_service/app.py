"""The payment service: monthly payment runs, bank files, publicity and recovery."""

from __future__ import annotations

from fastapi import FastAPI
from subsidy_shared.app import create_service_app

from payment_service import files_routes
from payment_service.consumers import SUBSCRIPTIONS
from payment_service.routes import router
from payment_service.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Liangbu payment service (计发)",
        description="Monthly payment runs, bank disbursement files, publicity lists and recovery.",
        routers=[router, files_routes.router],
        subscriptions=SUBSCRIPTIONS,
    )
