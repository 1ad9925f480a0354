"""Every SQL statement of the intake service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from intake_service.models import Application, Material, MaterialRule, Notification, OpenClaim, Step


async def open_claims_for(session: AsyncSession, person_key: str, subsidies: Sequence[str]) -> list[OpenClaim]:
    stmt = sa.select(OpenClaim).where(OpenClaim.person_key == person_key, OpenClaim.subsidy.in_(subsidies))
    return list((await session.scalars(stmt)).all())


async def add_application(session: AsyncSession, application: Application) -> None:
    session.add(application)
    await session.flush()


async def claim_subsidies(session: AsyncSession, application: Application) -> bool:
    """Reserve (person, subsidy) for this application; False when another application holds one."""
    rows = [
        {
            "person_key": application.person_key,
            "subsidy": subsidy,
            "application_id": application.id,
            "accepting_region": application.accepting_region,
            "hukou_region": application.hukou_region,
        }
        for subsidy in application.subsidies
    ]
    stmt = insert(OpenClaim).values(rows).on_conflict_do_nothing().returning(OpenClaim.subsidy)
    claimed = (await session.execute(stmt)).scalars().all()
    return len(claimed) == len(rows)


async def get_application(
    session: AsyncSession, application_id: uuid.UUID, *, for_update: bool = False
) -> Application | None:
    # FOR UPDATE serialises an upload racing another upload or a withdrawal on the same application.
    return await session.get(Application, application_id, with_for_update=for_update)


async def release_claims(
    session: AsyncSession, application_id: uuid.UUID, subsidies: Sequence[str] | None = None
) -> None:
    stmt = sa.delete(OpenClaim).where(OpenClaim.application_id == application_id)
    if subsidies is not None:
        stmt = stmt.where(OpenClaim.subsidy.in_(subsidies))
    await session.execute(stmt)


async def restore_receiving(session: AsyncSession, application: Application, subsidies: Sequence[str]) -> None:
    """Claims released by a withdrawal come back as received (a newer open application keeps its own)."""
    rows = [
        {
            "person_key": application.person_key,
            "subsidy": subsidy,
            "application_id": application.id,
            "accepting_region": application.accepting_region,
            "hukou_region": application.hukou_region,
            "state": "receiving",
        }
        for subsidy in subsidies
    ]
    await session.execute(insert(OpenClaim).values(rows).on_conflict_do_nothing())


async def mark_receiving(session: AsyncSession, application_id: uuid.UUID, subsidies: Sequence[str]) -> None:
    await session.execute(
        sa.update(OpenClaim)
        .where(OpenClaim.application_id == application_id, OpenClaim.subsidy.in_(subsidies))
        .values(state="receiving")
    )


async def end_receiving(session: AsyncSession, person_key: str, subsidy: str) -> int:
    stmt = sa.delete(OpenClaim).where(
        OpenClaim.person_key == person_key, OpenClaim.subsidy == subsidy, OpenClaim.state == "receiving"
    )
    return (await session.execute(stmt)).rowcount  # type: ignore[attr-defined,no-any-return]


async def add_step(
    session: AsyncSession,
    application_id: uuid.UUID,
    step: str,
    at: datetime,
    actor: str,
    actor_role: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        Step(application_id=application_id, step=step, at=at, actor=actor, actor_role=actor_role, detail=detail or {})
    )
    await session.flush()


async def steps_for(session: AsyncSession, application_id: uuid.UUID) -> list[Step]:
    stmt = sa.select(Step).where(Step.application_id == application_id).order_by(Step.at, Step.id)
    return list((await session.scalars(stmt)).all())


async def add_material(session: AsyncSession, material: Material) -> None:
    session.add(material)
    await session.flush()


async def materials_for(session: AsyncSession, application_id: uuid.UUID) -> list[Material]:
    """Metadata only: the content column is deferred."""
    stmt = sa.select(Material).where(Material.application_id == application_id).order_by(Material.uploaded_at)
    return list((await session.scalars(stmt)).all())


async def get_material(session: AsyncSession, application_id: uuid.UUID, material_id: uuid.UUID) -> Material | None:
    stmt = (
        sa.select(Material)
        .where(Material.id == material_id, Material.application_id == application_id)
        .options(sa.orm.undefer(Material.content))
    )
    return (await session.scalars(stmt)).one_or_none()


def _prefixes(region: str) -> list[str]:
    return [region[:n] for n in (2, 4, 6) if len(region) >= n]


async def rules_for_region(session: AsyncSession, hukou_region: str) -> list[MaterialRule]:
    """Every rule of the hukou's province, city or county, whatever its dates (the caller picks by date)."""
    stmt = sa.select(MaterialRule).where(MaterialRule.region.in_(_prefixes(hukou_region)))
    return list((await session.scalars(stmt)).all())


async def add_rule(session: AsyncSession, rule: MaterialRule) -> None:
    session.add(rule)
    await session.flush()


async def get_rule(session: AsyncSession, rule_id: uuid.UUID) -> MaterialRule | None:
    return await session.get(MaterialRule, rule_id, with_for_update=True)


async def list_rules(session: AsyncSession, region_prefix: str, on: date | None) -> list[MaterialRule]:
    stmt = sa.select(MaterialRule).where(MaterialRule.region.startswith(region_prefix))
    if on is not None:
        stmt = stmt.where(
            MaterialRule.effective_from <= on,
            sa.or_(MaterialRule.effective_to.is_(None), MaterialRule.effective_to > on),
        )
    return list((await session.scalars(stmt.order_by(MaterialRule.region, MaterialRule.effective_from))).all())


async def add_notification(session: AsyncSession, notification: Notification) -> None:
    session.add(notification)
    await session.flush()


async def notifications_for(session: AsyncSession, application_id: uuid.UUID) -> list[Notification]:
    stmt = (
        sa.select(Notification).where(Notification.application_id == application_id).order_by(Notification.notified_at)
    )
    return list((await session.scalars(stmt)).all())


async def list_applications(
    session: AsyncSession,
    region_prefix: str,
    status: str | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Application]:
    """An area's applications (optionally of one status), oldest first (keyset pagination on time and id)."""
    stmt = sa.select(Application).where(_in_area(region_prefix))
    if status is not None:
        stmt = stmt.where(Application.status == status)
    if after is not None:
        stmt = stmt.where(sa.tuple_(Application.submitted_at, Application.id) > after)
    stmt = stmt.order_by(Application.submitted_at, Application.id).limit(limit)
    return list((await session.scalars(stmt)).all())


async def kinds_on_file(session: AsyncSession, application_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    stmt = sa.select(Material.application_id, Material.kind).where(Material.application_id.in_(application_ids))
    found: dict[uuid.UUID, list[str]] = {}
    for application_id, kind in (await session.execute(stmt)).all():
        found.setdefault(application_id, []).append(kind)
    return found


def _in_area(region_prefix: str) -> sa.ColumnElement[bool]:
    """An application lies in an area when its accepting window or its hukou does."""
    return sa.or_(
        Application.accepting_region.startswith(region_prefix), Application.hukou_region.startswith(region_prefix)
    )


def _approved(subsidy: str | None = None) -> sa.ColumnElement[bool]:
    """The returned result approves `subsidy` (any subsidy when None): JSONB containment on `outcomes`."""
    wanted: dict[str, str] = {"outcome": "approved"} | ({"subsidy": subsidy} if subsidy else {})
    return Application.outcomes.contains([wanted])


async def approved_applications(session: AsyncSession, person_key: str, subsidy: str) -> list[uuid.UUID]:
    """The person's applications whose returned result approved `subsidy` (what a payment belongs to)."""
    stmt = sa.select(Application.id).where(
        Application.person_key == person_key, Application.result_returned_at.is_not(None), _approved(subsidy)
    )
    return list((await session.scalars(stmt.order_by(Application.submitted_at, Application.id))).all())


async def applications_of_person(session: AsyncSession, person_key: str, region_prefix: str) -> list[Application]:
    stmt = (
        sa.select(Application)
        .where(Application.person_key == person_key, _in_area(region_prefix))
        .order_by(Application.submitted_at, Application.id)
    )
    return list((await session.scalars(stmt)).all())


async def person_has_applications(session: AsyncSession, person_key: str) -> bool:
    return bool(await session.scalar(sa.select(sa.exists().where(Application.person_key == person_key))))


def scope_clause(
    accepting: sa.ColumnExpressionArgument[str], hukou: sa.ColumnExpressionArgument[str]
) -> sa.ColumnElement[str]:
    """`regions.scope_between` in SQL: the first of the province, city and county prefixes that differ."""
    return sa.case(
        (sa.func.substr(accepting, 1, 2) != sa.func.substr(hukou, 1, 2), "cross_province"),
        (sa.func.substr(accepting, 1, 4) != sa.func.substr(hukou, 1, 4), "cross_city"),
        (sa.func.substr(accepting, 1, 6) != sa.func.substr(hukou, 1, 6), "cross_county"),
        else_="local",
    )


async def application_counts(
    session: AsyncSession, region_prefix: str, since: datetime | None, before: datetime | None
) -> list[dict[str, Any]]:
    """month, county, scope, received, decided, approved, refused of the area's applications submitted in
    [since, before), in one grouped statement; month = the China month submitted, county = the hukou county."""
    month = sa.func.to_char(sa.func.timezone("Asia/Shanghai", Application.submitted_at), "YYYY-MM")
    county = sa.func.substr(Application.hukou_region, 1, 6)
    scope = scope_clause(Application.accepting_region, Application.hukou_region)
    decided = Application.result_returned_at.is_not(None)
    stmt = sa.select(
        month.label("month"),
        county.label("county"),
        scope.label("scope"),
        sa.func.count().label("received"),
        sa.func.count().filter(decided).label("decided"),
        sa.func.count().filter(decided, _approved()).label("approved"),
        sa.func.count().filter(decided, sa.not_(_approved())).label("refused"),
    ).where(_in_area(region_prefix))
    if since is not None:
        stmt = stmt.where(Application.submitted_at >= since)
    if before is not None:
        stmt = stmt.where(Application.submitted_at < before)
    stmt = stmt.group_by(month, county, scope).order_by(month, county, scope)
    return [dict(row) for row in (await session.execute(stmt)).mappings()]
