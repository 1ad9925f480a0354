"""The read models review keeps from events: beneficiaries, open applications, policies; and audit."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit, locks

from review_service.models import Beneficiary, ClosedApplication, OpenApplication, Policy

# ---- beneficiaries -------------------------------------------------------------------------------------


async def upsert_beneficiary(session: AsyncSession, values: dict[str, Any]) -> None:
    """A new approval replaces what an earlier (ended) entitlement of the same subsidy left behind."""
    stmt = insert(Beneficiary).values(**values)
    replaced = {k: stmt.excluded[k] for k in values if k not in ("person_key", "subsidy")}
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Beneficiary.person_key, Beneficiary.subsidy], set_={**replaced, "updated_at": sa.func.now()}
        )
    )


async def beneficiary(session: AsyncSession, person_key: str, subsidy: str) -> Beneficiary | None:
    stmt = sa.select(Beneficiary).where(Beneficiary.person_key == person_key, Beneficiary.subsidy == subsidy)
    return (await session.execute(stmt.with_for_update())).scalar_one_or_none()


async def beneficiaries_of(session: AsyncSession, person_key: str) -> Sequence[Beneficiary]:
    stmt = sa.select(Beneficiary).where(Beneficiary.person_key == person_key).order_by(Beneficiary.subsidy)
    return (await session.execute(stmt)).scalars().all()


_HUKOU_REGIONS = sa.text(
    "SELECT person_key, hukou_region FROM beneficiaries WHERE person_key = ANY(:keys) AND status <> 'terminated' "
    "UNION SELECT person_key, hukou_region FROM open_applications WHERE person_key = ANY(:keys)"
).bindparams(sa.bindparam("keys", type_=ARRAY(sa.Text)))


async def hukou_regions(session: AsyncSession, person_keys: Collection[str]) -> dict[str, frozenset[str]]:
    """Where review knows each person's hukou: subsidies not terminated and open applications (one statement)."""
    if not person_keys:
        return {}
    found: dict[str, set[str]] = {}
    for key, region in await session.execute(_HUKOU_REGIONS, {"keys": list(person_keys)}):
        found.setdefault(key, set()).add(region)
    return {key: frozenset(regions) for key, regions in found.items()}


# ---- applications ----------------------------------------------------------------------------------------


def _application_lock(application_id: uuid.UUID) -> str:
    """Opening and closing an application come on two topics (a decision can overtake its submission): two
    replicas handling them at once take turns, so the second sees what the first wrote."""
    return f"review:application:{application_id}"


async def open_application(session: AsyncSession, values: dict[str, Any]) -> None:
    """Kept open unless it was already closed (a decision can overtake its submission across topics)."""
    await locks.hold(session, _application_lock(values["application_id"]))
    closed = await session.get(ClosedApplication, values["application_id"])
    if closed is None:
        await session.execute(insert(OpenApplication).values(**values).on_conflict_do_nothing())


async def close_application(session: AsyncSession, application_id: uuid.UUID, at: datetime) -> None:
    await locks.hold(session, _application_lock(application_id))
    await session.execute(sa.delete(OpenApplication).where(OpenApplication.application_id == application_id))
    await session.execute(
        insert(ClosedApplication).values(application_id=application_id, closed_at=at).on_conflict_do_nothing()
    )


# ---- policies --------------------------------------------------------------------------------------------


async def policy_bodies(session: AsyncSession) -> Sequence[dict[str, Any]]:
    rows = (await session.execute(sa.select(Policy.body).order_by(Policy.province, Policy.effective_from))).scalars()
    return list(rows)


async def upsert_policy(session: AsyncSession, values: dict[str, Any]) -> None:
    stmt = insert(Policy).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Policy.province, Policy.version],
            set_={"effective_from": stmt.excluded.effective_from, "body": stmt.excluded.body},
        )
    )


# ---- audit of the service's own acts ---------------------------------------------------------------------


# An audit row for a change this service made on an event or a schedule, not on a person's request.
audit_system = partial(audit.record_system, actor="review-service")
