"""Background loops of the review service: the comparison of every region and the expiry reminders.

Every replica runs both loops; a round lock lets one replica at a time do a round (see `comparison.compare_all`,
`reminders.remind_scheduled`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog
from fastapi import FastAPI
from subsidy_shared.clock import utc_now

from review_service import comparison, reminders
from review_service.settings import Settings

log = structlog.get_logger(__name__)


async def _every(seconds: float, name: str, work: Callable[[], Awaitable[None]]) -> None:
    """Run `work` now and then every `seconds`; an error is logged and the loop goes on."""
    while True:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(f"{name}.failed")
        await asyncio.sleep(seconds)


async def compare_forever(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    every = timedelta(seconds=settings.comparison_every_seconds)

    async def compare() -> None:
        async with app.state.sessionmaker() as session, session.begin():
            await comparison.compare_all(session, utc_now(), every)

    await _every(settings.comparison_every_seconds, "comparison", compare)


async def remind_forever(app: FastAPI) -> None:
    settings: Settings = app.state.settings

    async def remind() -> None:
        async with app.state.sessionmaker() as session, session.begin():
            await reminders.remind_scheduled(session, utc_now(), settings.reminder_months)

    await _every(settings.reminders_every_seconds, "reminders", remind)
