"""Review's copy of the policy book: the shipped examples (migration 0002), then each policy.published."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.events import PolicyPublishedData
from subsidy_shared.policy import EXAMPLES, PolicyBook, PolicyVersion

from review_service.repository import readmodels


async def book(session: AsyncSession) -> PolicyBook:
    """Every version of every province; an empty table (a fresh or emptied database) gets the examples first."""
    bodies = await readmodels.policy_bodies(session)
    if not bodies:
        for version in EXAMPLES:
            await readmodels.upsert_policy(session, _row(version))
        bodies = await readmodels.policy_bodies(session)
    return PolicyBook(PolicyVersion.model_validate(body) for body in bodies)


async def published(session: AsyncSession, data: PolicyPublishedData) -> None:
    version = PolicyVersion.model_validate(data.body)  # refuse a body this code cannot read (→ DLQ)
    await book(session)  # seed first: the examples must not be skipped because this version arrived
    await readmodels.upsert_policy(session, _row(version))


def _row(version: PolicyVersion) -> dict[str, Any]:
    return {
        "province": version.province,
        "version": version.version,
        "effective_from": version.effective_from,
        "body": json.loads(version.model_dump_json()),
    }
