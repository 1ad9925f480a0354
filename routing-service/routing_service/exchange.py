"""The HTTP client side of the province exchange: push cases and results until acknowledged.

Every attempt is recorded in the case row (attempts, next try, last error), so a restart keeps the
schedule. No row lock is held during a call: rows are leased (next_push_at moved past the call's
timeout) in a short transaction, then the answer is recorded in another.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from routing_service import repository, rules, service
from routing_service.models import Case
from routing_service.rules import Delivery
from routing_service.settings import ProvinceSystem, Settings

log = structlog.get_logger(__name__)

Kind = Literal["case", "result"]


@dataclass(frozen=True, slots=True)
class Push:
    """One delivery, copied out of its row so the HTTP call runs without a transaction."""

    application_id: uuid.UUID
    status: str
    kind: Kind
    province: str
    payload: dict[str, Any]
    leased_until: datetime


def _push_of(case: Case) -> Push:
    assert case.next_push_at is not None
    if case.status == "push_pending":
        assert case.external_system is not None
        return Push(
            case.application_id, case.status, "case", case.external_system, case_payload(case), case.next_push_at
        )
    assert case.origin_system is not None
    return Push(case.application_id, case.status, "result", case.origin_system, result_payload(case), case.next_push_at)


def case_payload(case: Case) -> dict[str, Any]:
    """The application as handed in, plus where and by when it goes."""
    return {
        **case.application,
        "scope": case.scope,
        "locality_county": case.locality_county,
        "locality_township": case.locality_township,
        "push_due": case.push_due.isoformat(),
    }


def result_payload(case: Case) -> dict[str, Any]:
    assert case.result_returned_at is not None and case.notify_due is not None and case.decided_at is not None
    return {
        "application_id": str(case.application_id),
        "external_id": case.origin_external_id,
        "locality_county": case.locality_county,
        "outcomes": case.outcomes,
        "decided_at": case.decided_at.isoformat(),
        "decided_by": case.decided_by,
        "returned_at": case.result_returned_at.isoformat(),
        "notify_due": case.notify_due.isoformat(),
    }


async def deliver(
    client: httpx.AsyncClient, system: ProvinceSystem, kind: Kind, application_id: uuid.UUID, payload: dict[str, Any]
) -> tuple[Delivery, str | None]:
    """POST to the province system; the error text never quotes the body (it may echo personal data)."""
    path = "/cases" if kind == "case" else "/results"
    headers = {
        "Authorization": f"Bearer {system.credential.get_secret_value()}",
        "Idempotency-Key": str(application_id),
    }
    try:
        response = await client.post(system.base_url + path, json=payload, headers=headers)
    except httpx.TimeoutException:
        return Delivery.RETRY, "timeout"
    except httpx.HTTPError as exc:
        return Delivery.RETRY, type(exc).__name__
    outcome = rules.delivery_of(response.status_code)
    error = None if outcome is Delivery.ACKNOWLEDGED else f"HTTP {response.status_code}"
    return outcome, error


async def push_pending_cases(
    session_factory: async_sessionmaker[AsyncSession], http_client: httpx.AsyncClient, settings: Settings, now: datetime
) -> int:
    """One round: claim due deliveries, call the province systems, record each answer. Returns the count.

    Acknowledgements are stamped with `now` (deadlines count in days; a round lasts seconds).
    """
    lease_until = now + timedelta(seconds=2 * settings.push_timeout_seconds + 30)
    async with session_factory() as session, session.begin():
        pushes = [
            _push_of(c) for c in await repository.claim_deliveries(session, now, lease_until, settings.push_batch)
        ]
    answers = await asyncio.gather(*(_attempt(http_client, settings, push) for push in pushes))
    for push, (outcome, error) in zip(pushes, answers, strict=True):
        async with session_factory() as session, session.begin():
            await _record(session, settings, push, outcome, error, now)
    return len(pushes)


async def _attempt(client: httpx.AsyncClient, settings: Settings, push: Push) -> tuple[Delivery, str | None]:
    system = settings.province_system(push.province)
    if system is None:  # configuration removed while the case waited: keep it, and say why
        return Delivery.RETRY, f"no exchange configured for province {push.province}"
    return await deliver(client, system, push.kind, push.application_id, push.payload)


async def _record(
    session: AsyncSession, settings: Settings, push: Push, outcome: Delivery, error: str | None, now: datetime
) -> None:
    case = await repository.get_case(session, push.application_id, for_update=True)
    if case is None or case.status != push.status or case.next_push_at != push.leased_until:
        return  # withdrawn, decided through the exchange API, or re-claimed after our lease ran out
    case.push_attempts += 1
    if outcome is Delivery.ACKNOWLEDGED:
        if push.kind == "case":
            await service.mark_pushed(session, case, now)
        else:
            service.mark_result_pushed(case, now)
    elif outcome is Delivery.RETRY:
        delay = rules.backoff_seconds(
            case.push_attempts, settings.push_backoff_seconds, settings.push_backoff_max_seconds
        )
        case.next_push_at = now + timedelta(seconds=delay)
        case.last_push_error = error
    else:
        case.status = "push_failed" if push.kind == "case" else "result_push_failed"
        case.next_push_at = None
        case.last_push_error = error
    log.info(
        "exchange.pushed",
        correlation_id=str(push.application_id),
        kind=push.kind,
        province=push.province,
        outcome=outcome.value,
        attempts=case.push_attempts,
        error=error,
    )
