"""Registry imports: validate each line, COPY the good ones in, publish only what changed.

Idempotent on (source, record_id): importing the same file twice publishes nothing the second time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit
from subsidy_shared.auth import Principal, require_role
from subsidy_shared.errors import Unprocessable
from subsidy_shared.events import RegistryRecordChanged, RegistryRecordChangedData
from subsidy_shared.ids import person_key
from subsidy_shared.regions import covers

from review_service import access, records
from review_service.records import BadLine, GoodLine, RecordLine
from review_service.repository import bulk, readmodels, registry
from review_service.schemas import ImportRead, RejectedLine

log = structlog.get_logger(__name__)
SOURCE = "liangbu/review"


async def import_upload(
    session: AsyncSession,
    principal: Principal,
    text: str,
    fmt: Literal["jsonl", "csv"],
    secret: str,
    now: datetime,
) -> ImportRead:
    """Keep every good line, report every bad one with its number and why."""
    require_role(principal, *access.IMPORTERS)
    items = [_keyed(item, secret) for item in records.parse(text, fmt)]
    known = await readmodels.hukou_regions(session, {item[1] for item in items if isinstance(item, tuple)})
    good: list[RecordLine] = []
    keys: list[str] = []
    rejected: list[RejectedLine] = []
    for item in items:
        if isinstance(item, BadLine):
            rejected.append(RejectedLine(line=item.line, reason=item.reason))
            continue
        line, key = item
        reason = _outside(principal, line.record, known.get(key, frozenset()))
        if reason is not None:
            rejected.append(RejectedLine(line=line.line, reason=reason))
        else:
            good.append(line.record)
            keys.append(key)
    if not good and not rejected:
        raise Unprocessable.at(("body",), "the upload holds no records")
    changed = await import_records(session, good, secret, now, keys)
    summary = {"format": fmt, "accepted": len(good), "changed": changed, "rejected": len(rejected)}
    sources = sorted({r.source for r in good})
    await audit.record(
        session, principal, "import registry records", "registry", None, after=summary | {"sources": sources}
    )
    log.info("registry.imported", **summary)
    return ImportRead(
        received=len(good) + len(rejected),
        accepted=len(good),
        changed=changed,
        unchanged=len(good) - changed,
        rejected=rejected,
    )


def _keyed(item: GoodLine | BadLine, secret: str) -> tuple[GoodLine, str] | BadLine:
    return (item, person_key(item.record.id_number, secret)) if isinstance(item, GoodLine) else item


def _outside(principal: Principal, record: RecordLine, hukous: frozenset[str]) -> str | None:
    """Why the caller may not import this record, or None.

    The record's region must lie in the caller's region (a county official must name one). Where review knows
    the person — a subsidy not terminated or an open application — their hukou decides, not what the line
    declares: the hukou must lie in the caller's region, and a region the line names must be that county's
    (or a region containing it). Otherwise anyone could stop the payment of anyone (P4). The reason never
    names the person nor where their hukou is.
    """
    region = record.region
    if region is None and principal.role in access.COUNTY_IMPORTERS:
        return "region is required from a county official"
    if region is not None and not principal.covers(region):
        return f"region {region} is outside the caller's region {principal.region}"
    if not hukous:
        return None
    if not any(principal.covers(hukou) for hukou in hukous):
        return f"the person's household registration is outside the caller's region {principal.region}"
    if region is not None and not any(covers(region, h) or covers(h[:6], region) for h in hukous):
        return f"region {region} is not where the person's household is registered"
    return None


async def import_records(
    session: AsyncSession,
    lines: Sequence[RecordLine],
    secret: str,
    now: datetime,
    keys: Sequence[str] | None = None,
) -> int:
    """Upsert validated records set-based; a registry.record_changed per record that is new or different.

    `keys` are the lines' person keys when the caller has them already."""
    keyed: dict[tuple[str, str], tuple[RecordLine, str]] = {}
    rows: list[tuple[Any, ...]] = []
    for index, line in enumerate(lines):
        key = keys[index] if keys is not None else person_key(line.id_number, secret)
        keyed[(line.source, line.record_id)] = (line, key)
        rows.append(_row(line, key, now))
    changed = await registry.upsert_records(session, rows)
    if changed:  # encoded one by one as COPY reads them: an upload's events are never all in memory at once
        await bulk.copy_to_outbox(session, (_event(*keyed[k], now) for k in changed))
    return len(changed)


def _row(line: RecordLine, key: str, now: datetime) -> tuple[Any, ...]:
    facts = line.facts
    card = line.record_kind == "certificate"
    expires_on = facts.get("expires_on") if card else None
    return (
        line.source,
        line.record_id,
        line.record_kind,
        line.change,
        line.in_force,
        key,
        line.id_number,
        line.region,
        line.effective_date,
        json.dumps(facts, ensure_ascii=False),
        date.fromisoformat(expires_on) if expires_on else None,
        facts.get("category") if card else None,
        facts.get("grade") if card else None,
        line.content_hash(key),
        now,
    )


def _event(line: RecordLine, key: str, now: datetime) -> RegistryRecordChanged:
    data = RegistryRecordChangedData(
        source=line.source,
        record_id=line.record_id,
        record_kind=line.record_kind,
        change=line.change,
        person_key=key,
        id_number=line.id_number,
        region=line.region,
        effective_date=line.effective_date,
        facts=line.facts,
        observed_at=now,
    )
    return RegistryRecordChanged(source=SOURCE, data=data)
