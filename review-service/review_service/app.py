"""The review service: registry imports, periodic review and discovery (issue 6)."""

from __future__ import annotations

from fastapi import FastAPI
from subsidy_shared.app import create_service_app

from review_service import scheduler
from review_service.consumers import SUBSCRIPTIONS
from review_service.routes import router
from review_service.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Liangbu review service (定期复核)",
        description="Registry imports, comparisons and findings, review campaigns, certificate expiry reminders, "
        "survival checks and active discovery (政策找人).",
        routers=[router],
        subscriptions=SUBSCRIPTIONS,
        background=[scheduler.compare_forever, scheduler.remind_forever],
    )
