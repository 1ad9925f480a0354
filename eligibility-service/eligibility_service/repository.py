"""Every SQL statement of the eligibility service."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit

from eligibility_service.models import (
    Beneficiary,
    Case,
    CaseReview,
    Decision,
    Policy,
    RegistryFact,
    Withdrawal,
)

# ---- cases ----------------------------------------------------------------------------------------


async def add_case(session: AsyncSession, values: dict[str, object]) -> bool:
    stmt = insert(Case).values(**values).on_conflict_do_nothing().returning(Case.application_id)
    return (await session.execute(stmt)).first() is not None


async def get_case(session: AsyncSession, application_id: uuid.UUID) -> Case | None:
    return await session.get(Case, application_id)


async def lock_case(session: AsyncSession, application_id: uuid.UUID) -> Case | None:
    """The case, locked for this transaction: two reviewers acting at once are served one after the other."""
    stmt = sa.select(Case).where(Case.application_id == application_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_cases_of(session: AsyncSession, person_key: str, open_steps: Collection[str]) -> Sequence[Case]:
    stmt = (
        sa.select(Case)
        .where(Case.person_key == person_key, Case.step.in_(open_steps))
        .order_by(Case.received_at)
        .with_for_update()
    )
    return (await session.execute(stmt)).scalars().all()


async def list_cases(
    session: AsyncSession,
    region_prefix: str,
    steps: Collection[str],
    limit: int,
    after: tuple[date, uuid.UUID] | None,
) -> Sequence[Case]:
    """A region's cases at `steps`, soonest decision first (keyset pagination on due date and id)."""
    stmt = sa.select(Case).where(Case.hukou_region.startswith(region_prefix), Case.step.in_(steps))
    if after is not None:
        stmt = stmt.where(sa.tuple_(Case.decision_due, Case.application_id) > sa.tuple_(*after))
    stmt = stmt.order_by(Case.decision_due, Case.application_id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def count_cases_by_step(session: AsyncSession, region_prefix: str, steps: Collection[str]) -> dict[str, int]:
    """How many of a region's cases stand at each of `steps` (a step with none is absent)."""
    stmt = (
        sa.select(Case.step, sa.func.count())
        .where(Case.hukou_region.startswith(region_prefix), Case.step.in_(steps))
        .group_by(Case.step)
    )
    return {step: count for step, count in (await session.execute(stmt)).all()}


async def add_review(session: AsyncSession, review: CaseReview) -> None:
    session.add(review)
    await session.flush()


async def reviews_of(session: AsyncSession, application_id: uuid.UUID) -> Sequence[CaseReview]:
    stmt = sa.select(CaseReview).where(CaseReview.application_id == application_id).order_by(CaseReview.id)
    return (await session.execute(stmt)).scalars().all()


# ---- decisions and withdrawals ---------------------------------------------------------------------


async def add_decision(session: AsyncSession, values: dict[str, Any]) -> bool:
    """False when the application already has its one decision."""
    stmt = insert(Decision).values(**values).on_conflict_do_nothing().returning(Decision.application_id)
    return (await session.execute(stmt)).first() is not None


async def get_decision(session: AsyncSession, application_id: uuid.UUID) -> Decision | None:
    return await session.get(Decision, application_id)


async def add_withdrawal(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(Withdrawal).values(**values).on_conflict_do_nothing())


async def get_withdrawal(session: AsyncSession, application_id: uuid.UUID) -> Withdrawal | None:
    return await session.get(Withdrawal, application_id)


# ---- registry read model ---------------------------------------------------------------------------


async def upsert_registry_fact(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert or replace one record; an older observation than the one held changes nothing (False)."""
    stmt = insert(RegistryFact).values(**values)
    replaced = {k: stmt.excluded[k] for k in values if k not in ("person_key", "record_kind", "record_id")}
    upsert = stmt.on_conflict_do_update(
        index_elements=[RegistryFact.person_key, RegistryFact.record_kind, RegistryFact.record_id],
        set_=replaced,
        where=RegistryFact.observed_at < stmt.excluded.observed_at,
    ).returning(RegistryFact.person_key)
    return (await session.execute(upsert)).first() is not None


async def registry_facts_of(session: AsyncSession, person_key: str) -> Sequence[RegistryFact]:
    stmt = sa.select(RegistryFact).where(RegistryFact.person_key == person_key).order_by(RegistryFact.observed_at)
    return (await session.execute(stmt)).scalars().all()


# ---- beneficiaries ---------------------------------------------------------------------------------


async def upsert_beneficiary(session: AsyncSession, values: dict[str, Any]) -> None:
    """A new approval replaces what an earlier (ended) entitlement of the same subsidy left behind."""
    stmt = insert(Beneficiary).values(**values)
    replaced = {k: stmt.excluded[k] for k in values if k not in ("person_key", "subsidy")}
    stmt = stmt.on_conflict_do_update(
        index_elements=[Beneficiary.person_key, Beneficiary.subsidy], set_={**replaced, "updated_at": sa.func.now()}
    )
    await session.execute(stmt)


async def beneficiaries_of(session: AsyncSession, person_key: str) -> Sequence[Beneficiary]:
    stmt = (
        sa.select(Beneficiary)
        .where(Beneficiary.person_key == person_key)
        .order_by(Beneficiary.subsidy)
        .with_for_update()
    )
    return (await session.execute(stmt)).scalars().all()


# ---- policies --------------------------------------------------------------------------------------


async def policy_rows(session: AsyncSession, province: str) -> Sequence[Policy]:
    stmt = sa.select(Policy).where(Policy.province == province).order_by(Policy.effective_from)
    return (await session.execute(stmt)).scalars().all()


async def any_policy(session: AsyncSession) -> bool:
    return bool((await session.execute(sa.select(sa.exists().select_from(Policy)))).scalar())


async def seed_policies(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Idempotent: two instances starting at once both try, one wins."""
    if rows:
        await session.execute(insert(Policy).values(list(rows)).on_conflict_do_nothing())


async def clashing_policy(session: AsyncSession, province: str, version: str, effective_from: date) -> Policy | None:
    stmt = sa.select(Policy).where(
        Policy.province == province, sa.or_(Policy.version == version, Policy.effective_from == effective_from)
    )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def add_policy(session: AsyncSession, values: dict[str, Any]) -> Policy | None:
    """The new row, or None when a unique constraint says it exists (a concurrent PUT)."""
    stmt = insert(Policy).values(**values).on_conflict_do_nothing().returning(Policy)
    return (await session.execute(stmt)).scalar_one_or_none()


# ---- audit of the service's own acts ---------------------------------------------------------------


# An audit row for a change this service made on an event or a schedule, not on a person's request.
audit_system = partial(audit.record_system, actor="eligibility-service")
