"""Every SQL statement of the routing service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from routing_service.models import Case, DeadlineBreach

PUSH_QUEUE = ("push_pending", "result_push_pending")


async def add_case(session: AsyncSession, values: dict[str, object]) -> bool:
    """Insert a case; False when it already exists (one case per application)."""
    stmt = insert(Case).values(**values).on_conflict_do_nothing().returning(Case.application_id)
    return (await session.execute(stmt)).first() is not None


async def get_case(session: AsyncSession, application_id: uuid.UUID, *, for_update: bool = False) -> Case | None:
    return await session.get(Case, application_id, with_for_update=for_update, populate_existing=for_update)


async def claim_deliveries(session: AsyncSession, now: datetime, lease_until: datetime, limit: int) -> list[Case]:
    """Due pushes, leased until `lease_until` so no other replica takes them while the HTTP call runs.

    SKIP LOCKED lets replicas claim disjoint rows; the lease (not a lock) covers the call itself, and
    runs out by itself if this process dies mid-call.
    """
    stmt = (
        sa.select(Case)
        .where(Case.status.in_(PUSH_QUEUE), Case.next_push_at <= now)
        .order_by(Case.next_push_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    cases = list((await session.scalars(stmt)).all())
    for case in cases:
        case.next_push_at = lease_until
    await session.flush()
    return cases


def _china_date(column: Any) -> sa.ColumnElement[date]:
    return sa.cast(sa.func.timezone("Asia/Shanghai", column), sa.Date)


def _in_region(prefix: str) -> sa.ColumnElement[bool]:
    return sa.or_(Case.accepting_region.startswith(prefix), Case.locality_county.startswith(prefix))


ClockColumns = tuple[str, Any, Any, Any, sa.ColumnElement[bool]]


def _clocks() -> tuple[ClockColumns, ...]:
    """Each clock: name, due date, when it was met, the region answerable for it, whether our system keeps it
    (the notify clock of a case a province system accepted is that province's)."""
    return (
        ("push", Case.push_due, Case.pushed_at, Case.locality_county, sa.true()),
        ("decision", Case.decision_due, Case.decided_at, Case.locality_county, sa.true()),
        ("notify", Case.notify_due, Case.notified_at, Case.accepting_region, Case.origin_system.is_(None)),
    )


def _stopped_on(today: date) -> sa.ColumnElement[date]:
    """The day an open clock stops running: today, or the withdrawal date if earlier."""
    day = sa.literal(today, sa.Date)
    return sa.func.least(sa.func.coalesce(_china_date(Case.withdrawn_at), day), day)


def _late(due: Any, done: Any, stopped_on: sa.ColumnElement[date]) -> sa.ColumnElement[bool]:
    """Breached: met after its due date, or still open once past it (mirrors `rules.clock`)."""
    return sa.or_(sa.and_(done.is_(None), stopped_on > due), _china_date(done) > due)


def breached_clocks(today: date, region_prefix: str | None = None) -> sa.CompoundSelect[Any]:
    """(application_id, deadline, due_date, region) of every breached clock on `today`.

    Breached = still open after its due date, or met late. A withdrawal stops the clock: an open clock
    of a withdrawn case counts only if it was already overdue on the withdrawal date. The notify clock
    of a case accepted by a province system is that province's to keep. Mirrors `rules.clock`.
    """
    stopped_on = _stopped_on(today)
    parts = []
    for name, due, done, region, applies in _clocks():
        late = _late(due, done, stopped_on)
        part = sa.select(
            Case.application_id,
            sa.literal(name, sa.Text).label("deadline"),
            due.label("due_date"),
            region.label("region"),
        ).where(due.is_not(None), applies, late)
        if region_prefix is not None:
            part = part.where(_in_region(region_prefix))
        parts.append(part)
    return sa.union_all(*parts)


@dataclass(frozen=True, slots=True)
class RecordedBreach:
    application_id: uuid.UUID
    deadline: str
    due_date: date
    region: str
    person_key: str


async def record_breaches(
    session: AsyncSession, today: date, detected_at: datetime, limit: int
) -> list[RecordedBreach]:
    """Record breaches not yet recorded; returns only those this call inserted.

    ON CONFLICT DO NOTHING on (application_id, deadline) makes two replicas scanning at once insert each
    breach once; the ORDER BY makes them take the unique-index locks in the same order (no deadlock).
    """
    found = breached_clocks(today).subquery()
    fresh = (
        sa.select(
            found.c.application_id,
            found.c.deadline,
            found.c.due_date,
            found.c.region,
            sa.literal(detected_at, sa.DateTime(timezone=True)),
        )
        .where(
            ~sa.exists().where(
                DeadlineBreach.application_id == found.c.application_id, DeadlineBreach.deadline == found.c.deadline
            )
        )
        .order_by(found.c.application_id, found.c.deadline)
        .limit(limit)
    )
    stmt = (
        insert(DeadlineBreach)
        .from_select(["application_id", "deadline", "due_date", "region", "detected_at"], fresh)
        .on_conflict_do_nothing()
        .returning(
            DeadlineBreach.application_id, DeadlineBreach.deadline, DeadlineBreach.due_date, DeadlineBreach.region
        )
    )
    rows = (await session.execute(stmt)).all()
    keys = await _person_keys(session, {row.application_id for row in rows})
    return [RecordedBreach(*row, person_key=keys[row.application_id]) for row in rows]


async def _person_keys(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    stmt = sa.select(Case.application_id, Case.person_key).where(Case.application_id.in_(ids))
    return {row.application_id: row.person_key for row in (await session.execute(stmt)).all()}


async def overdue_cases(
    session: AsyncSession, today: date, region_prefix: str, limit: int, after: tuple[date, uuid.UUID] | None
) -> Sequence[tuple[Case, date]]:
    """Cases in the region with a breached clock, oldest breached due date first."""
    found = breached_clocks(today, region_prefix).subquery()
    oldest = (
        sa.select(found.c.application_id, sa.func.min(found.c.due_date).label("oldest_due"))
        .group_by(found.c.application_id)
        .subquery()
    )
    stmt = sa.select(Case, oldest.c.oldest_due).join(oldest, Case.application_id == oldest.c.application_id)
    if after is not None:
        stmt = stmt.where(sa.tuple_(oldest.c.oldest_due, Case.application_id) > after)
    stmt = stmt.order_by(oldest.c.oldest_due, Case.application_id).limit(limit)
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


def _in_clock_order(clock: Any) -> sa.ColumnElement[int]:
    """push, decision, notify: the order the steps happen in."""
    return sa.case({"push": 1, "decision": 2, "notify": 3}, value=clock)


def clock_outcomes(
    today: date, region_prefix: str, from_date: date | None, to_date: date | None
) -> sa.CompoundSelect[Any]:
    """(clock, county, due_date, met, breached, open) of each clock of the area's cases due in the date range.

    county = the county answerable for the clock (the locality for push and decision, the accepting window's
    county for notify); met = done on or before its due date; breached as in `breached_clocks`; open = not
    done, not withdrawn and not yet past due. A clock stopped by a withdrawal before it ran out is none of these.
    """
    stopped_on = _stopped_on(today)
    parts = []
    for name, due, done, region, applies in _clocks():
        part = sa.select(
            sa.literal(name, sa.Text).label("clock"),
            sa.func.substr(region, 1, 6).label("county"),
            due.label("due_date"),
            sa.and_(done.is_not(None), _china_date(done) <= due).label("met"),
            _late(due, done, stopped_on).label("breached"),
            sa.and_(done.is_(None), Case.withdrawn_at.is_(None), sa.literal(today, sa.Date) <= due).label("open"),
        ).where(due.is_not(None), applies, _in_region(region_prefix))
        if from_date is not None:
            part = part.where(due >= from_date)
        if to_date is not None:
            part = part.where(due <= to_date)
        parts.append(part)
    return sa.union_all(*parts)


async def clock_counts_by_county(
    session: AsyncSession, today: date, region_prefix: str, from_date: date | None, to_date: date | None
) -> list[dict[str, Any]]:
    """county, clock, due, met, breached, open: one grouped statement over `clock_outcomes`."""
    found = clock_outcomes(today, region_prefix, from_date, to_date).subquery()
    stmt = (
        sa.select(
            found.c.county,
            found.c.clock,
            sa.func.count().label("due"),
            sa.func.count().filter(found.c.met).label("met"),
            sa.func.count().filter(found.c.breached).label("breached"),
            sa.func.count().filter(found.c.open).label("open"),
        )
        .group_by(found.c.county, found.c.clock)
        .order_by(found.c.county, _in_clock_order(found.c.clock))
    )
    return [dict(row) for row in (await session.execute(stmt)).mappings()]


async def clock_counts_by_week(
    session: AsyncSession, today: date, region_prefix: str, from_date: date | None, to_date: date | None
) -> list[dict[str, Any]]:
    """week (ISO, of the due date), clock, due, met, breached: one grouped statement over `clock_outcomes`."""
    found = clock_outcomes(today, region_prefix, from_date, to_date).subquery()
    week = sa.func.to_char(found.c.due_date, 'IYYY-"W"IW')
    stmt = (
        sa.select(
            week.label("week"),
            found.c.clock,
            sa.func.count().label("due"),
            sa.func.count().filter(found.c.met).label("met"),
            sa.func.count().filter(found.c.breached).label("breached"),
        )
        .group_by(week, found.c.clock)
        .order_by(week, _in_clock_order(found.c.clock))
    )
    return [dict(row) for row in (await session.execute(stmt)).mappings()]
