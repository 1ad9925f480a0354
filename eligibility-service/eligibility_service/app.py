"""The eligibility service: multi-level review and decisions at the locality."""

from __future__ import annotations

from fastapi import FastAPI
from subsidy_shared.app import create_service_app

from eligibility_service.consumers import SUBSCRIPTIONS
from eligibility_service.routes import router
from eligibility_service.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Liangbu eligibility service (审核审定)",
        description="Township review, county certificate check and county approval of each case; policies as data.",
        routers=[router],
        subscriptions=SUBSCRIPTIONS,
    )
