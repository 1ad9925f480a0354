"""Append-only audit rows: who did (or was refused) what, when, with before and after."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from subsidy_shared.auth import Principal

_audit = sa.table(
    "audit_log",
    sa.column("actor_sub", sa.Text),
    sa.column("actor_role", sa.Text),
    sa.column("actor_region", sa.Text),
    sa.column("action", sa.Text),
    sa.column("entity", sa.Text),
    sa.column("entity_id", sa.Text),
    sa.column("allowed", sa.Boolean),
    sa.column("before", JSONB),
    sa.column("after", JSONB),
)


async def record(
    session: AsyncSession,
    actor: Principal,
    action: str,
    entity: str,
    entity_id: str | None = None,
    *,
    allowed: bool = True,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    await session.execute(
        sa.insert(_audit).values(
            actor_sub=actor.sub,
            actor_role=actor.role,
            actor_region=actor.region,
            action=action,
            entity=entity,
            entity_id=entity_id,
            allowed=allowed,
            before=before,
            after=after,
        )
    )


async def record_system(
    session: AsyncSession,
    action: str,
    entity: str,
    entity_id: str,
    region: str,
    *,
    actor: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """An audit row for a change a service made on an event or a schedule, not on a person's request."""
    await session.execute(
        sa.insert(_audit).values(
            actor_sub=actor,
            actor_role="system",
            actor_region=region,
            action=action,
            entity=entity,
            entity_id=entity_id,
            allowed=True,
            before=before,
            after=after,
        )
    )
