"""Comparison runs (数据比对): every beneficiary of a region against the registry records, set-based.

The candidate pairs come from one SQL statement; each goes through the pure rule of its source; what the
rules propose becomes findings in one insert. A rule never judges the same record content twice (concluded
or not), and one open finding per person, subsidy set and rule keeps repeated runs idempotent.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit, locks
from subsidy_shared.auth import Principal, Role, require_role
from subsidy_shared.errors import NotFound
from subsidy_shared.policy import PolicyBook, StopRule
from subsidy_shared.workdays import china_date

from review_service import access, policies, rules
from review_service.findings import Raised, Subject, raise_findings
from review_service.models import ComparisonRun
from review_service.repository import findings as repo
from review_service.repository import readmodels

log = structlog.get_logger(__name__)
BATCH = 5000
SYSTEM = "review-service"
ROUND = "review:comparison"


def triggers() -> list[str]:
    """`kind:change` pairs a rule may act on."""
    return sorted(f"{kind}:{change}" for kind, changes in rules.TRIGGERS.items() for change in changes)


async def run_requested(
    session: AsyncSession, principal: Principal, region: str | None, now: datetime
) -> ComparisonRun:
    require_role(principal, *access.COMPARERS)
    prefix = access.region_within(principal, region)
    run = await compare(session, prefix, principal.sub, now)
    await audit.record(session, principal, "comparison run", "comparison_run", str(run.id), after=_summary(run))
    return run


async def compare(session: AsyncSession, region_prefix: str, requested_by: str, now: datetime) -> ComparisonRun:
    found_on = china_date(now)
    book = await policies.book(session)
    contexts: dict[str, tuple[rules.Context, StopRule]] = {}
    run_id = uuid.uuid4()
    proposals: list[Raised] = []
    async for rows in repo.comparison_candidates(session, region_prefix, triggers(), rules.HOUSEHOLD_KINDS, BATCH):
        for row in rows:
            province = row.hukou_region[:2]
            if province not in contexts:
                contexts[province] = _context(book, province, found_on)
            raised = _judge(row, *contexts[province], found_on)
            if raised is not None:
                proposals.append(raised)
    kept = await raise_findings(session, proposals, now, run_id)
    run = ComparisonRun(
        id=run_id,
        region=region_prefix,
        requested_by=requested_by,
        started_at=now,
        finished_at=now,
        checked=await repo.count_people(session, region_prefix),
        raised=len(kept),
        by_rule=dict(Counter(r.proposal.rule_id for _, r in kept)),
    )
    await repo.add_run(session, run)
    log.info("comparison.finished", region=region_prefix, checked=run.checked, raised=run.raised)
    return run


async def compare_all(session: AsyncSession, now: datetime, every: timedelta = timedelta(0)) -> ComparisonRun | None:
    """The scheduled run over every region, audited as the service's own act.

    None when another replica is running it, or started one less than `every` ago: N replicas compare once
    per period, not N times.
    """
    if not await locks.try_round_lock(session, ROUND):
        return None
    last = await repo.last_run_started(session, "", SYSTEM)
    if last is not None and last > now - every:
        return None
    run = await compare(session, "", SYSTEM, now)
    await readmodels.audit_system(session, "comparison run", "comparison_run", str(run.id), "", after=_summary(run))
    return run


def _context(book: PolicyBook, province: str, found_on: date) -> tuple[rules.Context, StopRule]:
    policy = book.in_force_or_none(province, found_on)
    extensions = frozenset(policy.eligibility.living_statuses) if policy else frozenset()
    stop_rule: StopRule = policy.stop_rule if policy else "next_month"  # P4's timing when nothing is recorded
    return rules.Context(today=found_on, living_extensions=extensions), stop_rule


def _judge(row: Row[Any], ctx: rules.Context, stop_rule: StopRule, found_on: date) -> Raised | None:
    record = rules.Record(
        source=row.source,
        record_id=row.record_id,
        kind=row.record_kind,
        change=row.change,
        effective_date=row.effective_date,
        facts=row.facts,
        observed_on=china_date(row.observed_at),
    )
    person = rules.Receiving(
        hukou_region=row.hukou_region,
        amounts=row.amounts,
        statuses=frozenset(row.statuses),
        suspended=frozenset(row.suspended),
    )
    proposal = rules.propose(record, person, ctx)
    if proposal is None or proposal.rule_id in row.judged:
        return None
    return Raised(
        subject=Subject(row.person_key, row.name, row.id_number, row.hukou_region),
        proposal=proposal,
        effective_month=rules.effective_month(stop_rule, proposal.day, found_on),
        record_source=row.source,
        record_id=row.record_id,
        record_hash=row.content_hash,
    )


def _summary(run: ComparisonRun) -> dict[str, Any]:
    return {"region": run.region, "checked": run.checked, "raised": run.raised, "by_rule": run.by_rule}


async def get_run(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> ComparisonRun:
    access.readable_region(principal, None)
    run = await repo.get_run(session, run_id)
    # A run of the whole country (region "") is the scheduled one; ops see it, officials see their region's.
    if run is None or not (run.region.startswith(principal.region_prefix) or principal.role is Role.OPS):
        raise NotFound(f"no comparison run {run_id}")
    return run
