"""The review service: registry imports, periodic review and discovery (issue 6)."""

from __future__ import annotations

from fastapi import FastAPI
from subsidy_shared.app import create_service_app

from review_service.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Liangbu review service (定期复核)",
        description="Registry imports, comparisons, findings, reminders and active discovery.",
        routers=[],
    )
