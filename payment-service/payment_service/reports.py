"""Reports for officials: a month's totals, a county's funding request (资金申请, P11), counties not paying
monthly (report to the province by 31 December, item 9), and recovery of overpayments (P9)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.auth import CASE_READERS, Principal, require_region, require_role
from subsidy_shared.errors import Unprocessable
from subsidy_shared.policy.timing import month_start
from subsidy_shared.regions import Level, parse_region, region_prefix

from payment_service import files_repository
from payment_service.files_schemas import (
    CountyMissingMonths,
    CountyRecovery,
    FundingLine,
    FundingRequest,
    LastRun,
    MonthTotals,
    NonMonthlyReport,
    RecoveryReport,
    RecoveryRow,
    TotalsRow,
)
from payment_service.rules import month_text


def _scope(principal: Principal, region: str, field: str, *levels: Level) -> str:
    """Any official of the region or above; payments are kept by county, so reports stop at counties."""
    require_role(principal, *CASE_READERS)
    level = parse_region(region).level
    if level not in levels:
        wanted = ", ".join(lv.value for lv in levels)
        raise Unprocessable.at(("query", field), f"{region} is a {level.value}; give a {wanted} code")
    require_region(principal, region)
    return region_prefix(region)


async def month_totals(session: AsyncSession, principal: Principal, region: str, month: date) -> MonthTotals:
    """Lines sent for `month` (issued or confirmed paid), by county, subsidy and tier."""
    prefix = _scope(principal, region, "region", Level.PROVINCE, Level.CITY, Level.COUNTY)
    rows = [
        TotalsRow(
            county=r.county,
            subsidy=r.subsidy,
            tier=r.tier,
            lines=int(r.lines),
            amount_fen=int(r.amount_fen),
            offset_fen=int(r.offset_fen),
        )
        for r in await files_repository.month_totals(session, prefix, month)
    ]
    return MonthTotals(
        region=region,
        month=month_text(month),
        lines=sum(r.lines for r in rows),
        amount_fen=sum(r.amount_fen for r in rows),
        rows=rows,
    )


async def funding_request(session: AsyncSession, principal: Principal, county: str, month: date) -> FundingRequest:
    """What the county's run of `month` would pay per subsidy (nothing is written), and its last run."""
    _scope(principal, county, "county", Level.COUNTY)
    lines = [
        FundingLine(
            subsidy=r.subsidy,
            lines=int(r.lines),
            arrears_lines=int(r.arrears),
            carried_lines=int(r.carried),
            amount_fen=int(r.amount_fen),
        )
        for r in await files_repository.funding_by_subsidy(session, county, month)
    ]
    total = sum(line.amount_fen for line in lines)
    offsets = await files_repository.funding_offsets(session, county, month)
    last = await files_repository.last_completed_run(session, county)
    last_run = (
        LastRun(
            id=last.id,
            region=last.region,
            month=month_text(last.month),
            completed_at=last.completed_at,
            county_total_fen=int(last.county_total_fen),
        )
        if last is not None
        else None
    )
    return FundingRequest(
        county=county,
        county_name=parse_region(county).name,
        month=month_text(month),
        by_subsidy=lines,
        amount_fen=total,
        expected_offset_fen=offsets,
        net_fen=total - offsets,
        last_run=last_run,
    )


async def non_monthly(
    session: AsyncSession, principal: Principal, province: str, year: int, today: date
) -> NonMonthlyReport:
    """Counties with months of `year` (up to this month) that no completed run paid as its month."""
    prefix = _scope(principal, province, "province", Level.PROVINCE)
    if year > today.year:
        raise Unprocessable.at(("query", "year"), f"{year} has not begun yet (today is {today})")
    through = month_start(today) if year == today.year else date(year, 12, 1)
    rows = await files_repository.months_without_run(session, prefix, date(year, 1, 1), through)
    counties = [
        CountyMissingMonths(
            county=r.county, county_name=_name(r.county), missing_months=[month_text(m) for m in r.months]
        )
        for r in rows
    ]
    return NonMonthlyReport(
        province=province,
        year=year,
        through_month=month_text(through),
        report_due=f"{year}-12-31",
        counties=counties,
    )


async def recovery(session: AsyncSession, principal: Principal, region: str) -> RecoveryReport:
    """Overpayments per county: owed, recovered (by offset and by repayment), outstanding."""
    prefix = _scope(principal, region, "region", Level.PROVINCE, Level.CITY, Level.COUNTY)
    counties = [
        CountyRecovery(
            county=r.county,
            overpayments=int(r.overpayments),
            total_fen=int(r.total_fen),
            recovered_fen=int(r.recovered_fen),
            offset_fen=int(r.offset_fen),
            repaid_fen=int(r.repaid_fen),
        )
        for r in await files_repository.recovery_by_county(session, prefix)
    ]
    total = RecoveryRow(
        overpayments=sum(c.overpayments for c in counties),
        total_fen=sum(c.total_fen for c in counties),
        recovered_fen=sum(c.recovered_fen for c in counties),
        offset_fen=sum(c.offset_fen for c in counties),
        repaid_fen=sum(c.repaid_fen for c in counties),
    )
    return RecoveryReport(region=region, counties=counties, total=total)


def _name(county: str) -> str:
    try:
        return parse_region(county).name
    except ValueError:  # an abolished code missing from the table must not break the report
        return county
