"""Every SQL statement of the intake service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from intake_service.models import Application, OpenClaim


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


async def get_application(session: AsyncSession, application_id: uuid.UUID) -> Application | None:
    return await session.get(Application, application_id)


async def list_applications(
    session: AsyncSession, region_prefix: str, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[Application]:
    stmt = sa.select(Application).where(
        sa.or_(
            Application.accepting_region.startswith(region_prefix),
            Application.hukou_region.startswith(region_prefix),
        )
    )
    if after is not None:
        stmt = stmt.where(sa.tuple_(Application.submitted_at, Application.id) > after)
    stmt = stmt.order_by(Application.submitted_at, Application.id).limit(limit)
    return list((await session.scalars(stmt)).all())
