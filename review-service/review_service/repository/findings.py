"""Findings and comparison runs: the candidate rows of a comparison, set-based inserts, the list."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from review_service.models import ComparisonRun, Finding
from review_service.repository.bulk import copy_rows

_CANDIDATES = """
WITH people AS (
    SELECT person_key, min(hukou_region) AS hukou_region, min(name) AS name, min(id_number) AS id_number,
           jsonb_object_agg(subsidy, monthly_amount_fen) AS amounts,
           COALESCE(array_agg(subsidy) FILTER (WHERE status = 'suspended'), '{}') AS suspended
    FROM beneficiaries
    WHERE status <> 'terminated' AND hukou_region LIKE :prefix
    GROUP BY person_key
)
SELECT p.person_key, p.hukou_region, p.name, p.id_number, p.amounts, p.suspended,
       r.source, r.record_id, r.record_kind, r.change, r.effective_date, r.facts, r.observed_at, r.content_hash,
       ARRAY(SELECT h.record_kind FROM registry_records h
             WHERE h.person_key = p.person_key AND h.in_force AND h.record_kind = ANY(:household)) AS statuses,
       ARRAY(SELECT f.rule_id FROM findings f
             WHERE f.person_key = r.person_key AND f.record_source = r.source AND f.record_id = r.record_id
               AND f.record_hash = r.content_hash) AS judged
FROM people p
JOIN registry_records r ON r.person_key = p.person_key
WHERE r.record_kind || ':' || r.change = ANY(:triggers)
"""


async def comparison_candidates(
    session: AsyncSession, region_prefix: str, triggers: Collection[str], household: Collection[str], batch: int
) -> AsyncIterator[Sequence[Row[Any]]]:
    """Each (beneficiary, registry record) pair a rule may act on, with the rules that already judged this very
    record (a record that stays the same can still raise another rule later: missing for 6 months)."""
    params = {"prefix": f"{region_prefix}%", "triggers": list(triggers), "household": list(household)}
    result = await session.stream(sa.text(_CANDIDATES), params)
    async for rows in result.partitions(batch):
        yield rows


async def count_people(session: AsyncSession, region_prefix: str) -> int:
    stmt = sa.text(
        "SELECT count(DISTINCT person_key) FROM beneficiaries WHERE status <> 'terminated' AND hukou_region LIKE :p"
    )
    return int((await session.execute(stmt, {"p": f"{region_prefix}%"})).scalar_one())


FINDING_COLUMNS = (
    "id",
    "person_key",
    "name",
    "id_number",
    "hukou_region",
    "subsidies",
    "subsidy_set",
    "rule_id",
    "record_source",
    "record_id",
    "record_hash",
    "evidence",
    "suggested_action",
    "effective_month",
    "status",
    "raised_at",
    "run_id",
)


async def add_findings(session: AsyncSession, rows: Sequence[Sequence[Any]]) -> set[uuid.UUID]:
    """Insert findings unless the same person, subsidy set and rule has an open one: the ids inserted.

    In key order, so two runs at once (a scheduled and a requested one) wait for each other, never deadlock."""
    if not rows:
        return set()
    await session.execute(
        sa.text("CREATE TEMP TABLE IF NOT EXISTS findings_stage (LIKE findings INCLUDING DEFAULTS) ON COMMIT DROP")
    )
    await session.execute(sa.text("TRUNCATE findings_stage"))
    await copy_rows(session, "findings_stage", FINDING_COLUMNS, rows)
    cols = ", ".join(FINDING_COLUMNS)
    result = await session.execute(
        sa.text(
            f"INSERT INTO findings ({cols}) SELECT {cols} FROM findings_stage "
            "ORDER BY person_key, subsidy_set, rule_id "
            "ON CONFLICT (person_key, subsidy_set, rule_id) WHERE status = 'open' DO NOTHING RETURNING id"
        )
    )
    return set(result.scalars())


async def lock_finding(session: AsyncSession, finding_id: uuid.UUID) -> Finding | None:
    stmt = sa.select(Finding).where(Finding.id == finding_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_finding(session: AsyncSession, finding_id: uuid.UUID) -> Finding | None:
    return await session.get(Finding, finding_id)


async def list_findings(
    session: AsyncSession,
    region_prefix: str,
    status: str | None,
    rule_id: str | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> Sequence[Finding]:
    """A region's findings, oldest first (keyset on raised_at and id)."""
    stmt = sa.select(Finding).where(Finding.hukou_region.startswith(region_prefix))
    if status is not None:
        stmt = stmt.where(Finding.status == status)
    if rule_id is not None:
        stmt = stmt.where(Finding.rule_id == rule_id)
    if after is not None:
        stmt = stmt.where(sa.tuple_(Finding.raised_at, Finding.id) > sa.tuple_(*after))
    stmt = stmt.order_by(Finding.raised_at, Finding.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def add_run(session: AsyncSession, run: ComparisonRun) -> None:
    session.add(run)
    await session.flush()


async def last_run_started(session: AsyncSession, region_prefix: str, requested_by: str) -> datetime | None:
    stmt = sa.select(sa.func.max(ComparisonRun.started_at)).where(
        ComparisonRun.region == region_prefix, ComparisonRun.requested_by == requested_by
    )
    return (await session.execute(stmt)).scalar_one()


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> ComparisonRun | None:
    return await session.get(ComparisonRun, run_id)
