"""Transaction-level advisory locks: how the replicas of a service take turns on a round or on one subject.

A lock is named (`"review:comparison"`, `"eligibility:person:<key>"`) and held until the transaction ends,
so it is released with the commit or rollback that publishes its work; it is scoped to the service's own
database. Names hash to one 64-bit key (`hashtextextended`); two names colliding only serialize needlessly.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

_TRY = sa.text("SELECT pg_try_advisory_xact_lock(hashtextextended(:name, 0))")
_HOLD = sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))")


async def try_round_lock(session: AsyncSession, name: str) -> bool:
    """Take the lock of a round without waiting: False when another replica is running that round now."""
    return bool((await session.execute(_TRY, {"name": name})).scalar_one())


async def hold(session: AsyncSession, name: str) -> None:
    """Wait for the lock (another replica's transaction on the same subject ends first), then hold it."""
    await session.execute(_HOLD, {"name": name})
