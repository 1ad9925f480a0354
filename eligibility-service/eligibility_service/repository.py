"""Every SQL statement of the eligibility service."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from eligibility_service.models import Case


async def add_case(session: AsyncSession, values: dict[str, object]) -> bool:
    stmt = insert(Case).values(**values).on_conflict_do_nothing().returning(Case.application_id)
    return (await session.execute(stmt)).first() is not None


async def get_case(session: AsyncSession, application_id: uuid.UUID) -> Case | None:
    return await session.get(Case, application_id)
