"""Findings: raising them (set-based, one open per person, subsidy set and rule), listing, concluding."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit
from subsidy_shared.auth import Principal, require_region, require_role
from subsidy_shared.errors import Conflict, NotFound, Unprocessable
from subsidy_shared.events import FindingConcluded, FindingConcludedData, FindingRaised, FindingRaisedData
from subsidy_shared.pagination import decode_cursor, encode_cursor

from review_service import access
from review_service.models import Finding
from review_service.repository import bulk
from review_service.repository import findings as repo
from review_service.rules import Proposal
from review_service.schemas import ConclusionCreate, FindingList, FindingRead

SOURCE = "liangbu/review"


@dataclass(frozen=True, slots=True)
class Subject:
    """Whom a proposal is about, as the read model knows them."""

    person_key: str
    name: str
    id_number: str
    hukou_region: str


@dataclass(frozen=True, slots=True)
class Raised:
    subject: Subject
    proposal: Proposal
    effective_month: str
    record_source: str
    record_id: str
    record_hash: str


async def raise_findings(
    session: AsyncSession, raised: Sequence[Raised], now: datetime, run_id: uuid.UUID | None = None
) -> list[tuple[uuid.UUID, Raised]]:
    """Insert the proposals as open findings and publish finding.raised for those that were new."""
    ids = [uuid.uuid4() for _ in raised]
    rows = [_row(finding_id, r, now, run_id) for finding_id, r in zip(ids, raised, strict=True)]
    inserted = await repo.add_findings(session, rows)
    kept = [(finding_id, r) for finding_id, r in zip(ids, raised, strict=True) if finding_id in inserted]
    if kept:
        await bulk.copy_to_outbox(session, (_event(finding_id, r, now) for finding_id, r in kept))
    return kept


def _evidence(r: Raised) -> dict[str, object]:
    return {"text": r.proposal.text, **r.proposal.evidence}


def _row(finding_id: uuid.UUID, r: Raised, now: datetime, run_id: uuid.UUID | None) -> tuple[object, ...]:
    p = r.proposal
    return (
        finding_id,
        r.subject.person_key,
        r.subject.name,
        r.subject.id_number,
        r.subject.hukou_region,
        list(p.subsidies),
        ",".join(sorted(p.subsidies)),
        p.rule_id,
        r.record_source,
        r.record_id,
        r.record_hash,
        json.dumps(_evidence(r), ensure_ascii=False, default=str),
        p.action,
        r.effective_month,
        "open",
        now,
        run_id,
    )


def _event(finding_id: uuid.UUID, r: Raised, now: datetime) -> FindingRaised:
    data = FindingRaisedData(
        finding_id=finding_id,
        person_key=r.subject.person_key,
        subsidies=r.proposal.subsidies,
        source=r.record_source,
        rule_id=r.proposal.rule_id,
        evidence=json.loads(json.dumps(_evidence(r), default=str)),
        suggested_action=r.proposal.action,
        effective_month=r.effective_month,
        raised_at=now,
    )
    return FindingRaised(source=SOURCE, subject=str(finding_id), data=data)


# ---- reading ----------------------------------------------------------------------------------------------


async def list_findings(
    session: AsyncSession,
    principal: Principal,
    region: str | None,
    status: str | None,
    rule_id: str | None,
    limit: int,
    cursor: str | None,
) -> FindingList:
    prefix = access.readable_region(principal, region)
    after = decode_cursor(cursor, datetime.fromisoformat, uuid.UUID) if cursor else None
    rows = await repo.list_findings(session, prefix, status, rule_id, limit, after)
    next_cursor = encode_cursor(rows[-1].raised_at, rows[-1].id) if len(rows) == limit else None
    return FindingList(items=[FindingRead.of(f) for f in rows], next_cursor=next_cursor)


async def get_finding(session: AsyncSession, principal: Principal, finding_id: uuid.UUID) -> Finding:
    access.readable_region(principal, None)
    finding = await repo.get_finding(session, finding_id)
    missing = f"no finding {finding_id}"
    if finding is None:
        raise NotFound(missing)
    require_region(principal, finding.hukou_region, not_found=missing)
    return finding


# ---- concluding -------------------------------------------------------------------------------------------


async def conclude(
    session: AsyncSession, principal: Principal, finding_id: uuid.UUID, body: ConclusionCreate, now: datetime
) -> Finding:
    """县级民政 decides: continue, suspend, terminate or change the rate; payment and eligibility act on it."""
    require_role(principal, *access.CONCLUDERS)
    finding = await repo.lock_finding(session, finding_id)
    missing = f"no finding {finding_id}"
    if finding is None:
        raise NotFound(missing)
    require_region(principal, finding.hukou_region, not_found=missing)
    if finding.status != "open":
        raise Conflict(f"finding {finding_id} is already concluded", conclusion=finding.conclusion)
    subsidies = body.subsidies or finding.subsidies
    if not set(subsidies) <= set(finding.subsidies):
        raise Unprocessable.at(("body", "subsidies"), f"the finding is about {', '.join(finding.subsidies)} only")
    month = body.effective_month or finding.effective_month
    before = {"status": finding.status, "suggested_action": finding.suggested_action}
    conclusion = {
        "action": body.action,
        "subsidies": sorted(subsidies),
        "effective_month": month,
        "reason": body.reason,
        "concluded_by": principal.sub,
    }
    finding.status, finding.conclusion, finding.concluded_at = "concluded", conclusion, now
    data = FindingConcludedData(
        finding_id=finding.id,
        person_key=finding.person_key,
        subsidies=tuple(sorted(subsidies)),
        action=body.action,
        effective_month=month,
        concluded_by=principal.sub,
        reason=body.reason,
        concluded_at=now,
    )
    await bulk.copy_to_outbox(session, [FindingConcluded(source=SOURCE, subject=str(finding.id), data=data)])
    await audit.record(
        session, principal, "conclude finding", "finding", str(finding.id), before=before, after=conclusion
    )
    return finding
