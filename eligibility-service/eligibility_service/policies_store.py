"""Policies as data: versions kept in the `policies` table, loaded as a PolicyBook when deciding."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit, outbox
from subsidy_shared.auth import Principal, Role, require_region, require_role
from subsidy_shared.errors import Conflict, Unprocessable
from subsidy_shared.events import PolicyPublished, PolicyPublishedData

from eligibility_service import repository
from eligibility_service.models import Policy
from eligibility_service.policy import EXAMPLES, PolicyBook, PolicyVersion
from eligibility_service.schemas import PolicyList, PolicyVersionRead

SEED_AUTHOR = "seed:examples"


def _row(version: PolicyVersion, created_by: str) -> dict[str, Any]:
    return {
        "province": version.province,
        "version": version.version,
        "effective_from": version.effective_from,
        "body": json.loads(version.model_dump_json()),
        "created_by": created_by,
    }


async def ensure_seeded(session: AsyncSession) -> None:
    """Migration 0002 seeds the shipped examples; an empty table (a fresh or emptied database) gets them too."""
    if not await repository.any_policy(session):
        await repository.seed_policies(session, [_row(v, SEED_AUTHOR) for v in EXAMPLES])


async def book(session: AsyncSession, province: str) -> PolicyBook:
    """Every version of one province, read from the table (a province without rows has an empty book)."""
    await ensure_seeded(session)
    rows = await repository.policy_rows(session, province)
    return PolicyBook(PolicyVersion.model_validate(row.body) for row in rows)


async def in_force(session: AsyncSession, province: str, day: date) -> PolicyVersion:
    """The version in force on `day`; NoPolicyInForce (422) when the province has none for that day."""
    return (await book(session, province)).in_force(province, day)


async def in_force_or_none(session: AsyncSession, province: str, day: date) -> PolicyVersion | None:
    return (await book(session, province)).in_force_or_none(province, day)


async def listing(session: AsyncSession, province: str, today: date) -> PolicyList:
    """Every version of a province, oldest first, marking the one in force today."""
    await ensure_seeded(session)
    versions = [
        (row, PolicyVersion.model_validate(row.body)) for row in await repository.policy_rows(session, province)
    ]
    current = next((v.version for _, v in reversed(versions) if v.effective_from <= today), None)
    items = [PolicyVersionRead.of(row, body, current) for row, body in versions]
    return PolicyList(province=province, today=today, in_force=current, versions=items)


async def add_version(
    session: AsyncSession,
    principal: Principal,
    province: str,
    version: PolicyVersion,
    today: date,
    now: datetime,
) -> Policy:
    """A new version from a provincial admin of that province; history (a start before today) stays as it was."""
    require_role(principal, Role.PROVINCIAL_ADMIN)
    require_region(principal, f"{province}0000")
    if version.province != province:
        raise Unprocessable.at(("body", "province"), f"the body is for province {version.province}, not {province}")
    await ensure_seeded(session)
    clash = await repository.clashing_policy(session, province, version.version, version.effective_from)
    if clash is not None:
        raise Conflict(f"province {province} already has version {clash.version} from {clash.effective_from}")
    existing = await repository.policy_rows(session, province)
    # A start in the past would change months already paid; only a province's first version may say so.
    if existing and version.effective_from < today:
        raise Unprocessable.at(
            ("body", "effective_from"),
            f"{version.effective_from} is before today ({today}): a new version may not change months already paid",
        )
    row = await repository.add_policy(session, _row(version, principal.sub))
    if row is None:  # a concurrent PUT won the unique constraint
        raise Conflict(
            f"province {province} already has a version {version.version} or one from {version.effective_from}"
        )
    await audit.record(
        session, principal, "add policy version", "policy", f"{province}/{version.version}", after=row.body
    )
    published = PolicyPublishedData(
        province=province,
        version=version.version,
        effective_from=version.effective_from,
        body=row.body,
        published_by=principal.sub,
        published_at=now,
    )
    await outbox.add(
        session, PolicyPublished(source="liangbu/eligibility", subject=f"{province}/{version.version}", data=published)
    )
    return row
