"""Review campaigns (定期复核, 70号 items 6 and 8): the yearly provincial review, the monthly village check
(每月查询登记) and the quarterly 民政–残联 comparison, each a list of items checked one by one."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit
from subsidy_shared.auth import Principal, Role, require_region, require_role
from subsidy_shared.errors import Conflict, NotFound, Unprocessable
from subsidy_shared.ids import mask_id_number
from subsidy_shared.money import MONTH_PATTERN
from subsidy_shared.pagination import decode_cursor, encode_cursor
from subsidy_shared.policy import PolicyBook
from subsidy_shared.regions import covers, region_prefix
from subsidy_shared.workdays import china_date

from review_service import access, policies, rules
from review_service.models import Campaign
from review_service.repository import work
from review_service.schemas import (
    QUARTER,
    YEAR,
    CampaignCreate,
    CampaignItemList,
    CampaignItemRead,
    CampaignRead,
    CountyProgress,
    ItemCheckCreate,
    MismatchRead,
    QuarterlyReport,
    masked_name,
)


@dataclass(frozen=True, slots=True)
class Kind:
    roles: tuple[Role, ...]
    period: str  # a regular expression
    levels: tuple[int, ...]  # region code lengths; a province is a 6-digit code ending 0000
    what: str


KINDS: dict[str, Kind] = {
    "annual_review": Kind((Role.PROVINCIAL_ADMIN,), YEAR, (6,), "a province (e.g. 230000) and a year (2026)"),
    "monthly_check": Kind(
        (Role.TOWNSHIP_REVIEWER, Role.COUNTY_CIVIL_AFFAIRS, Role.COUNTY_DISABILITY_FEDERATION),
        MONTH_PATTERN,
        (9, 12),
        "a township or village and a month (2026-11)",
    ),
    "quarterly_comparison": Kind(
        (Role.COUNTY_CIVIL_AFFAIRS, Role.COUNTY_DISABILITY_FEDERATION, Role.PROVINCIAL_ADMIN),
        QUARTER,
        (6,),
        "a county, city or province and a quarter (2026-Q4)",
    ),
}
MONTHLY_CHECKS = ["certificate", "dibao", "survival"]  # 残疾状态、纳入低保情况、生存状况 (HL [S2])


async def create(session: AsyncSession, principal: Principal, body: CampaignCreate, now: datetime) -> CampaignRead:
    kind = KINDS[body.kind]
    require_role(principal, *kind.roles)
    if not re.match(kind.period, body.period) or len(body.region) not in kind.levels:
        raise Unprocessable.at(("body",), f"a {body.kind} campaign covers {kind.what}")
    if body.kind == "annual_review" and not body.region.endswith("0000"):
        raise Unprocessable.at(("body", "region"), "the yearly review covers a whole province, e.g. 230000")
    require_region(principal, body.region)
    values = {
        "id": uuid.uuid4(),
        "kind": body.kind,
        "region": body.region,
        "period": body.period,
        "created_by": principal.sub,
        "created_at": now,
    }
    campaign = await work.add_campaign(session, values)
    if campaign is None:
        raise Conflict(f"a {body.kind} campaign of {body.region} for {body.period} exists")
    prefix = region_prefix(body.region)
    if body.kind == "quarterly_comparison":
        found = await _mismatches(session, prefix, china_date(now))
        await work.add_items(session, [_mismatch_item(campaign.id, *m) for m in found])
    else:
        detail = {"checks": MONTHLY_CHECKS if body.kind == "monthly_check" else ["annual_review"]}
        await work.add_beneficiary_items(session, campaign.id, prefix, detail)
    read = await _read(session, campaign)
    after = {"kind": body.kind, "region": body.region, "period": body.period, "items": read.total}
    await audit.record(session, principal, "create campaign", "campaign", str(campaign.id), after=after)
    return read


async def get(session: AsyncSession, principal: Principal, campaign_id: uuid.UUID) -> CampaignRead:
    return await _read(session, await _visible(session, principal, campaign_id))


async def _visible(session: AsyncSession, principal: Principal, campaign_id: uuid.UUID) -> Campaign:
    access.readable_region(principal, None)
    campaign = await work.get_campaign(session, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}")
    # A province's campaign is read by its counties too (each sees its own items).
    if not (principal.covers(campaign.region) or covers(campaign.region, principal.region)):
        raise NotFound(f"no campaign {campaign_id}")
    return campaign


async def _read(session: AsyncSession, campaign: Campaign) -> CampaignRead:
    counties = [
        CountyProgress(county=r.county, total=r.total, done=r.done, completion_rate=_rate(r.done, r.total))
        for r in await work.progress(session, campaign.id)
    ]
    total, done = sum(c.total for c in counties), sum(c.done for c in counties)
    return CampaignRead(
        id=campaign.id,
        kind=campaign.kind,
        region=campaign.region,
        period=campaign.period,
        created_by=campaign.created_by,
        created_at=campaign.created_at,
        total=total,
        done=done,
        completion_rate=_rate(done, total),
        counties=counties,
    )


def _rate(done: int, total: int) -> float:
    return round(done / total, 4) if total else 0.0


async def items(
    session: AsyncSession,
    principal: Principal,
    campaign_id: uuid.UUID,
    region: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> CampaignItemList:
    campaign = await _visible(session, principal, campaign_id)
    prefix = access.readable_region(principal, region)
    after = decode_cursor(cursor, int)[0] if cursor else None
    rows = await work.list_items(session, campaign.id, prefix, status, limit, after)
    next_cursor = encode_cursor(rows[-1].id) if len(rows) == limit else None
    return CampaignItemList(items=[CampaignItemRead.of(i) for i in rows], next_cursor=next_cursor)


async def check_item(
    session: AsyncSession,
    principal: Principal,
    campaign_id: uuid.UUID,
    item_id: int,
    body: ItemCheckCreate,
    now: datetime,
) -> CampaignItemRead:
    require_role(principal, *access.FIELD_WORKERS)
    item = await work.lock_item(session, campaign_id, item_id)
    missing = f"campaign {campaign_id} has no item {item_id}"
    if item is None:
        raise NotFound(missing)
    require_region(principal, item.township or item.county, not_found=missing)
    if item.status == "done":
        raise Conflict(f"item {item_id} was checked by {item.checked_by}", checked_at=str(item.checked_at))
    item.status, item.outcome, item.method, item.note = "done", body.outcome, body.method, body.note
    item.checked_by, item.checked_at = principal.sub, now
    after = {"outcome": body.outcome, "method": body.method, "campaign_id": str(campaign_id)}
    await audit.record(session, principal, "campaign item checked", "campaign_item", str(item_id), after=after)
    return CampaignItemRead.of(item)


# ---- the quarterly 民政–残联 comparison ---------------------------------------------------------------------


def current_quarter(today: date) -> str:
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


async def quarterly_report(
    session: AsyncSession, principal: Principal, region: str | None, quarter: str | None, now: datetime
) -> QuarterlyReport:
    require_role(principal, *KINDS["quarterly_comparison"].roles, Role.AUDITOR)
    prefix = access.region_within(principal, region)
    today = china_date(now)
    quarter = quarter or current_quarter(today)
    if not re.match(KINDS["quarterly_comparison"].period, quarter):
        raise Unprocessable.at(("query", "quarter"), "a quarter is written 2026-Q4")
    return await _report(session, prefix, region or principal.region, quarter, today)


Mismatch = tuple[Row[Any], list[str], rules.CertificateView | None]


async def _mismatches(session: AsyncSession, prefix: str, today: date) -> list[Mismatch]:
    book = await policies.book(session)
    found = [_compare(row, book, today) for row in await work.certificate_population(session, prefix)]
    return [m for m in found if m[1]]


async def _report(session: AsyncSession, prefix: str, region: str, quarter: str, today: date) -> QuarterlyReport:
    rows = await work.certificate_population(session, prefix)
    book = await policies.book(session)
    mismatches = [_read_mismatch(*m) for m in (_compare(r, book, today) for r in rows) if m[1]]
    return QuarterlyReport(
        region=region,
        quarter=quarter,
        as_of=today,
        beneficiaries_checked=sum(r.subject == "beneficiary" for r in rows),
        applications_checked=sum(r.subject == "application" for r in rows),
        mismatch_count=len(mismatches),
        mismatches=mismatches,
    )


def _compare(row: Row[Any], book: PolicyBook, today: date) -> Mismatch:
    card = None
    if row.change is not None:
        card = rules.CertificateView(row.change, row.category, row.grade, row.expires_on, _components(row.components))
    policy = book.in_force_or_none(row.hukou_region[:2], today)
    return row, rules.certificate_mismatches(row.certificate_number, tuple(row.subsidies), card, today, policy), card


def _components(stored: object) -> frozenset[int]:
    """The categories a 多重 card combines; a record stored before imports checked them may hold anything."""
    if not isinstance(stored, list):
        return frozenset()
    return frozenset(c for c in stored if isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= 6)


def _card(card: rules.CertificateView | None) -> dict[str, Any] | None:
    if card is None:
        return None
    expires_on = card.expires_on.isoformat() if card.expires_on else None
    return {"change": card.change, "category": card.category, "grade": card.grade, "expires_on": expires_on}


def _read_mismatch(row: Row[Any], found: list[str], card: rules.CertificateView | None) -> MismatchRead:
    return MismatchRead(
        subject=row.subject,
        application_id=row.application_id,
        person_key=row.person_key,
        name=masked_name(row.name),
        id_number=mask_id_number(row.id_number),
        hukou_region=row.hukou_region,
        subsidies=list(row.subsidies),
        mismatches=found,
        certificate=_card(card),
    )


def _mismatch_item(
    campaign_id: uuid.UUID, row: Row[Any], found: list[str], card: rules.CertificateView | None
) -> dict[str, Any]:
    subject = "beneficiary" if row.application_id is None else f"application:{row.application_id}"
    return {
        "campaign_id": campaign_id,
        "person_key": row.person_key,
        "subject": subject,
        "county": row.hukou_region[:6],
        "township": row.hukou_region[:9] if len(row.hukou_region) >= 9 else None,
        "name": row.name,
        "id_number": row.id_number,
        "detail": {"subsidies": list(row.subsidies), "mismatches": found, "certificate": _card(card)},
        "status": "pending",
    }
