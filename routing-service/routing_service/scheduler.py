"""Background loops of the routing service: the breach scan and the province-system pusher."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import structlog
from fastapi import FastAPI
from subsidy_shared.clock import utc_now

from routing_service import deadlines, exchange
from routing_service.settings import Settings

log = structlog.get_logger(__name__)


async def _every(seconds: float, name: str, work: Callable[[], Awaitable[bool]]) -> None:
    """Run `work` forever, again at once while it reports more to do; an error is logged and retried."""
    while True:
        more = False
        try:
            more = await work()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(f"{name}.failed")
        if not more:
            await asyncio.sleep(seconds)


async def scan_breaches_forever(app: FastAPI) -> None:
    settings: Settings = app.state.settings

    async def scan() -> bool:
        async with app.state.sessionmaker() as session, session.begin():
            found = await deadlines.scan_breaches(session, utc_now(), limit=settings.breach_scan_batch)
        return found == settings.breach_scan_batch

    await _every(settings.breach_scan_seconds, "breach_scan", scan)


async def push_forever(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    async with httpx.AsyncClient(timeout=settings.push_timeout_seconds) as client:

        async def push() -> bool:
            sent = await exchange.push_pending_cases(app.state.sessionmaker, client, settings, utc_now())
            return sent == settings.push_batch

        await _every(settings.push_poll_seconds, "exchange_push", push)
