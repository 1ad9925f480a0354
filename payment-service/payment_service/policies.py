"""payment's copy of the policy book, and the month-by-month tier amounts a run joins against.

Eligibility owns the versions; the shipped examples seed an empty copy and each `policy.published` adds one.
A version pays the months whose first day it is in force on, so each tier gets a row per version with the
months it covers: a run then prices every month at the version valid in that month (raises, backpay).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.policy import EXAMPLES, PolicyBook, PolicyVersion

from payment_service import repository
from payment_service.rules import first_month_of_version, parse_month


def tier_rate_rows(versions: list[PolicyVersion]) -> list[dict[str, Any]]:
    """Each tier of each version with the months it prices: [its first month, the next version's)."""
    ordered = sorted(versions, key=lambda v: v.effective_from)
    rows: list[dict[str, Any]] = []
    for index, version in enumerate(ordered):
        start = first_month_of_version(version.effective_from)
        end = first_month_of_version(ordered[index + 1].effective_from) if index + 1 < len(ordered) else None
        if end is not None and end <= start:
            continue  # superseded before it paid a single month
        for subsidy in ("living", "nursing"):
            for tier in version.tiers(subsidy):
                rows.append(
                    {
                        "province": version.province,
                        "subsidy": subsidy,
                        "tier": tier.id,
                        "from_month": start,
                        "to_month": end,
                        "amount_fen": tier.monthly_amount_fen,
                        "policy_version": version.version,
                    }
                )
    return rows


def transition_rows(versions: list[PolicyVersion]) -> list[dict[str, Any]]:
    """P7: every declared transition period of the province, whichever version declared it."""
    seen: dict[date, dict[str, Any]] = {}
    for version in versions:
        for period in version.transition_periods:
            start = parse_month(period.from_month)
            seen[start] = {
                "province": version.province,
                "from_month": start,
                "to_month": parse_month(period.to_month),
                "reason": period.reason,
            }
    return list(seen.values())


async def ensure_seeded(session: AsyncSession) -> None:
    if await repository.any_policy(session):
        return
    for version in EXAMPLES:
        await add_version(session, version)


async def add_version(session: AsyncSession, version: PolicyVersion) -> None:
    """Keep a version (a replay is a no-op) and rebuild its province's month table."""
    body = json.loads(version.model_dump_json())
    await repository.upsert_policy(session, version.province, version.version, version.effective_from, body)
    versions = await versions_of(session, version.province)
    await repository.replace_rates(session, version.province, tier_rate_rows(versions), transition_rows(versions))


async def versions_of(session: AsyncSession, province: str) -> list[PolicyVersion]:
    return [PolicyVersion.model_validate(body) for body in await repository.policy_bodies(session, province)]


async def book(session: AsyncSession, province: str) -> PolicyBook:
    await ensure_seeded(session)
    return PolicyBook(await versions_of(session, province))
