"""Reminders, survival checks, discovery and campaigns: set-based statements over the read models."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from review_service.models import Campaign, CampaignItem, CertificateReminder

# ---- certificate expiry reminders (70号 item 13) ----------------------------------------------------------

_DUE_REMINDERS = """
INSERT INTO certificate_reminders AS c
    (source, record_id, expires_on, person_key, id_number, name, certificate_number, region, township, reminded_at)
SELECT r.source, r.record_id, r.expires_on, r.person_key, r.id_number, coalesce(r.facts->>'name', b.name),
       r.id_number || r.category::text || r.grade::text, coalesce(b.hukou_region, r.region),
       left(coalesce(b.hukou_region, r.region), 9), :now
FROM registry_records r
LEFT JOIN LATERAL (
    SELECT b.hukou_region, b.name FROM beneficiaries b WHERE b.person_key = r.person_key
    ORDER BY b.status = 'terminated', b.updated_at DESC LIMIT 1
) b ON true
WHERE r.record_kind = 'certificate' AND r.in_force AND r.expires_on BETWEEN :today AND :until
  AND r.category IS NOT NULL AND r.grade IS NOT NULL AND coalesce(b.hukou_region, r.region) LIKE :prefix
  AND NOT EXISTS (
      SELECT 1 FROM registry_records n
      WHERE n.person_key = r.person_key AND n.record_kind = 'certificate' AND n.in_force
        AND n.expires_on > r.expires_on)
ORDER BY r.source, r.record_id, r.expires_on
ON CONFLICT DO NOTHING
RETURNING c.person_key, c.certificate_number, c.expires_on, c.township
"""


async def add_due_reminders(
    session: AsyncSession, today: date, until: date, now: datetime, region_prefix: str = ""
) -> Sequence[Row[Any]]:
    """One reminder per card of the region expiring between today and `until` not reminded yet (a renewed card
    is skipped); the region is the holder's hukou, else the record's; the empty prefix is the whole country.
    Inserted in key order, so two rounds at once wait for each other and never deadlock."""
    params = {"today": today, "until": until, "now": now, "prefix": f"{region_prefix}%"}
    result = await session.execute(sa.text(_DUE_REMINDERS), params)
    return result.all()


async def list_reminders(
    session: AsyncSession, region_prefix: str, limit: int, after: tuple[str, date, str, str] | None
) -> Sequence[CertificateReminder]:
    r = CertificateReminder
    stmt = sa.select(r).where(r.township.startswith(region_prefix))
    if after is not None:
        stmt = stmt.where(sa.tuple_(r.township, r.expires_on, r.source, r.record_id) > sa.tuple_(*after))
    stmt = stmt.order_by(r.township, r.expires_on, r.source, r.record_id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


# ---- survival checks (生存验证) ------------------------------------------------------------------------------

_OVERDUE = """
SELECT * FROM (
    SELECT p.person_key, p.hukou_region, p.name, p.id_number, l.last_on,
           (coalesce(l.last_on, to_date(p.since || '-01', 'YYYY-MM-DD'))
            + make_interval(months => :months))::date AS due_on
    FROM (SELECT person_key, min(hukou_region) AS hukou_region, min(name) AS name, min(id_number) AS id_number,
                 min(since_month) AS since
          FROM beneficiaries WHERE status = 'active' AND hukou_region LIKE :prefix GROUP BY person_key) p
    LEFT JOIN (SELECT person_key, max(checked_on) AS last_on FROM survival_checks
               WHERE result = 'passed' GROUP BY person_key) l USING (person_key)
) o
WHERE o.due_on <= :today AND (o.due_on, o.person_key) > (:after_due, :after_key)
ORDER BY o.due_on, o.person_key
LIMIT :limit
"""


async def overdue_survival(
    session: AsyncSession, region_prefix: str, today: date, months: int, limit: int, after: tuple[date, str] | None
) -> Sequence[Row[Any]]:
    after_due, after_key = after or (date.min, "")
    params = {
        "prefix": f"{region_prefix}%",
        "today": today,
        "months": months,
        "limit": limit,
        "after_due": after_due,
        "after_key": after_key,
    }
    return (await session.execute(sa.text(_OVERDUE), params)).all()


# ---- discovery (政策找人) ------------------------------------------------------------------------------------

_DISCOVERY = """
WITH cards AS (
    SELECT r.person_key, r.id_number, r.facts->>'name' AS name, r.region, r.category, r.grade
    FROM registry_records r
    WHERE r.record_kind = 'certificate' AND r.in_force AND (r.expires_on IS NULL OR r.expires_on >= :today)
      AND NOT EXISTS (
          SELECT 1 FROM registry_records n
          WHERE n.person_key = r.person_key AND n.record_kind = 'certificate' AND n.in_force
            AND (n.expires_on > r.expires_on OR (n.expires_on = r.expires_on AND n.record_id > r.record_id)))
), people AS (
    SELECT c.*, d.person_key IS NOT NULL AS in_dibao, coalesce(c.region, d.region) AS place
    FROM cards c
    LEFT JOIN LATERAL (
        SELECT d.person_key, d.region FROM registry_records d
        WHERE d.person_key = c.person_key AND d.record_kind = 'dibao' AND d.in_force LIMIT 1
    ) d ON true
    WHERE NOT EXISTS (
        SELECT 1 FROM registry_records x
        WHERE x.person_key = c.person_key AND x.in_force AND x.record_kind IN ('death', 'cremation', 'declared_death'))
), wanted AS (
    SELECT k.*,
           k.in_dibao
           AND NOT EXISTS (SELECT 1 FROM beneficiaries b WHERE b.person_key = k.person_key AND b.subsidy = 'living'
                           AND b.status <> 'terminated')
           AND NOT EXISTS (SELECT 1 FROM open_applications a WHERE a.person_key = k.person_key
                           AND 'living' = ANY(a.subsidies)) AS living,
           coalesce(k.grade <= 2, false)
           AND NOT EXISTS (SELECT 1 FROM beneficiaries b WHERE b.person_key = k.person_key AND b.subsidy = 'nursing'
                           AND b.status <> 'terminated')
           AND NOT EXISTS (SELECT 1 FROM open_applications a WHERE a.person_key = k.person_key
                           AND 'nursing' = ANY(a.subsidies)) AS nursing
    FROM people k
    WHERE k.place LIKE :prefix
)
SELECT w.person_key, w.id_number, w.name, w.place, w.category, w.grade, w.in_dibao, w.living, w.nursing,
       (SELECT max(i.informed_at) FROM informed_people i WHERE i.person_key = w.person_key) AS informed_at
FROM wanted w
WHERE (w.living OR w.nursing) AND (w.place, w.person_key) > (:after_place, :after_key)
ORDER BY w.place, w.person_key
LIMIT :limit
"""


async def discovery(
    session: AsyncSession, region_prefix: str, today: date, limit: int, after: tuple[str, str] | None
) -> Sequence[Row[Any]]:
    after_place, after_key = after or ("", "")
    params = {
        "prefix": f"{region_prefix}%",
        "today": today,
        "limit": limit,
        "after_place": after_place,
        "after_key": after_key,
    }
    return (await session.execute(sa.text(_DISCOVERY), params)).all()


# ---- campaigns ----------------------------------------------------------------------------------------------


async def add_campaign(session: AsyncSession, values: dict[str, Any]) -> Campaign | None:
    """The new campaign, or None when one of that kind, region and period exists."""
    stmt = insert(Campaign).values(**values).on_conflict_do_nothing().returning(Campaign)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_campaign(session: AsyncSession, campaign_id: uuid.UUID) -> Campaign | None:
    return await session.get(Campaign, campaign_id)


async def add_beneficiary_items(
    session: AsyncSession, campaign_id: uuid.UUID, region_prefix: str, detail: dict[str, Any]
) -> int:
    """One pending item per person who gets a subsidy in the region (set-based: a province at once)."""
    result = await session.execute(
        sa.text(
            "INSERT INTO campaign_items (campaign_id, person_key, subject, county, township, name, id_number, "
            "detail, status) "
            "SELECT DISTINCT ON (person_key) :campaign, person_key, 'beneficiary', left(hukou_region, 6), "
            "CASE WHEN length(hukou_region) >= 9 THEN left(hukou_region, 9) END, name, id_number, "
            "CAST(:detail AS jsonb), 'pending' "
            "FROM beneficiaries WHERE status <> 'terminated' AND hukou_region LIKE :prefix "
            "ORDER BY person_key, subsidy"
        ),
        {"campaign": campaign_id, "prefix": f"{region_prefix}%", "detail": json.dumps(detail)},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def add_items(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(CampaignItem).on_conflict_do_nothing(), list(rows))


async def progress(session: AsyncSession, campaign_id: uuid.UUID) -> Sequence[Row[str, int, int]]:
    """(county, total, done) of a campaign."""
    i = CampaignItem
    stmt = (
        sa.select(i.county, sa.func.count().label("total"), sa.func.count().filter(i.status == "done").label("done"))
        .where(i.campaign_id == campaign_id)
        .group_by(i.county)
        .order_by(i.county)
    )
    return (await session.execute(stmt)).all()


async def list_items(
    session: AsyncSession,
    campaign_id: uuid.UUID,
    region_prefix: str,
    status: str | None,
    limit: int,
    after: int | None,
) -> Sequence[CampaignItem]:
    i = CampaignItem
    stmt = sa.select(i).where(
        i.campaign_id == campaign_id, sa.func.coalesce(i.township, i.county).startswith(region_prefix)
    )
    if status is not None:
        stmt = stmt.where(i.status == status)
    if after is not None:
        stmt = stmt.where(i.id > after)
    return (await session.execute(stmt.order_by(i.id).limit(limit))).scalars().all()


async def lock_item(session: AsyncSession, campaign_id: uuid.UUID, item_id: int) -> CampaignItem | None:
    i = CampaignItem
    stmt = sa.select(i).where(i.campaign_id == campaign_id, i.id == item_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


_POPULATION = """
WITH population AS (
    SELECT 'beneficiary' AS subject, b.person_key, NULL::uuid AS application_id, min(b.hukou_region) AS hukou_region,
           min(b.name) AS name, min(b.id_number) AS id_number, min(b.certificate_number) AS certificate_number,
           array_agg(b.subsidy ORDER BY b.subsidy) AS subsidies
    FROM beneficiaries b WHERE b.status <> 'terminated' AND b.hukou_region LIKE :prefix GROUP BY b.person_key
    UNION ALL
    SELECT 'application', a.person_key, a.application_id, a.hukou_region, a.name, a.id_number,
           a.certificate_number, a.subsidies
    FROM open_applications a WHERE a.hukou_region LIKE :prefix
)
SELECT p.*, c.change, c.category, c.grade, c.expires_on, c.facts->'components' AS components
FROM population p
LEFT JOIN LATERAL (
    SELECT r.change, r.category, r.grade, r.expires_on, r.facts FROM registry_records r
    WHERE r.person_key = p.person_key AND r.record_kind = 'certificate'
    ORDER BY r.in_force DESC, r.expires_on DESC NULLS LAST, r.observed_at DESC LIMIT 1
) c ON true
ORDER BY p.hukou_region, p.person_key, p.subject
"""


async def certificate_population(session: AsyncSession, region_prefix: str) -> Sequence[Row[Any]]:
    """Every beneficiary and open application of a region with their newest certificate record (or none)."""
    return (await session.execute(sa.text(_POPULATION), {"prefix": f"{region_prefix}%"})).all()
