"""Certificate expiry reminders (70号 item 13): 6 months ahead, once per card, listed per township."""

from __future__ import annotations

import calendar
from datetime import date, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit, locks
from subsidy_shared.auth import Principal, Role, require_role
from subsidy_shared.events import CertificateExpiryReminder, CertificateExpiryReminderData
from subsidy_shared.pagination import decode_cursor, encode_cursor
from subsidy_shared.workdays import china_date

from review_service import access
from review_service.repository import bulk, readmodels, work
from review_service.schemas import ReminderList, ReminderRead

log = structlog.get_logger(__name__)
SOURCE = "liangbu/review"
RUNNERS = (Role.OPS, Role.PROVINCIAL_ADMIN, Role.COUNTY_DISABILITY_FEDERATION)
ROUND = "review:reminders"


def months_ahead(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


async def remind_expiring(session: AsyncSession, now: datetime, months: int, region_prefix: str = "") -> int:
    """Remind every card of the region expiring within `months` not reminded yet (the empty prefix: every card);
    running again reminds nobody twice."""
    today = china_date(now)
    rows = await work.add_due_reminders(session, today, months_ahead(today, months), now, region_prefix)
    events = [
        CertificateExpiryReminder(
            source=SOURCE,
            data=CertificateExpiryReminderData(
                person_key=row.person_key,
                certificate_number=row.certificate_number,
                expires_on=row.expires_on,
                township=row.township if len(row.township) == 9 else None,
                reminded_at=now,
            ),
        )
        for row in rows
    ]
    if events:
        await bulk.copy_to_outbox(session, events)
    log.info("reminders.sent", count=len(events))
    return len(events)


async def remind_scheduled(session: AsyncSession, now: datetime, months: int) -> int:
    """The background job's round, audited as the service's own act when it reminded anyone; one replica at a
    time (another skips the round: the running one reminds whom it would)."""
    if not await locks.try_round_lock(session, ROUND):
        return 0
    count = await remind_expiring(session, now, months)
    if count:
        await readmodels.audit_system(
            session, "certificate expiry reminders", "reminders", "", "", after={"count": count}
        )
    return count


async def run_requested(session: AsyncSession, principal: Principal, now: datetime, months: int) -> int:
    """A round on demand covers the caller's region only; the nationwide round is the background job's."""
    require_role(principal, *RUNNERS)
    count = await remind_expiring(session, now, months, principal.region_prefix)
    after = {"count": count, "region": principal.region}
    await audit.record(session, principal, "certificate expiry reminders", "reminders", None, after=after)
    return count


async def list_reminders(
    session: AsyncSession, principal: Principal, region: str | None, limit: int, cursor: str | None
) -> ReminderList:
    prefix = access.readable_region(principal, region)
    after = decode_cursor(cursor, str, date.fromisoformat, str, str) if cursor else None
    rows = await work.list_reminders(session, prefix, limit, after)
    last = rows[-1] if len(rows) == limit else None
    next_cursor = encode_cursor(last.township, last.expires_on, last.source, last.record_id) if last else None
    return ReminderList(items=[ReminderRead.of(r) for r in rows], next_cursor=next_cursor)
