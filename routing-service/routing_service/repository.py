"""Every SQL statement of the routing service."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from routing_service.models import Case


async def add_case(session: AsyncSession, values: dict[str, object]) -> bool:
    """Insert a case; False when it already exists (one case per application)."""
    stmt = insert(Case).values(**values).on_conflict_do_nothing().returning(Case.application_id)
    return (await session.execute(stmt)).first() is not None


async def get_case(session: AsyncSession, application_id: uuid.UUID) -> Case | None:
    return await session.get(Case, application_id)
