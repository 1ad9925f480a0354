"""The intake service (受理): any window in China accepts an application."""

from __future__ import annotations

from fastapi import FastAPI
from subsidy_shared.app import create_service_app

from intake_service.consumers import SUBSCRIPTIONS
from intake_service.routes import router
from intake_service.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Liangbu intake service (受理)",
        description="Applications for the living and nursing subsidies, at any window in China.",
        routers=[router],
        subscriptions=SUBSCRIPTIONS,
    )
