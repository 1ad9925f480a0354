"""Active discovery (政策找人, 70号 item 11): people the registry says qualify who neither get nor asked.

A person with a valid certificate in a 低保 household may get `living`, one of grade 1–2 `nursing`; those
who receive neither that subsidy nor have an application open for it are listed per township. Telling them
is recorded and published (`person.informed`): a later application then gets no backpay (P8).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit, outbox
from subsidy_shared.auth import Principal, require_region, require_role
from subsidy_shared.errors import NotFound, Unprocessable
from subsidy_shared.events import PersonInformed, PersonInformedData, Subsidy
from subsidy_shared.ids import mask_id_number
from subsidy_shared.pagination import decode_cursor, encode_cursor
from subsidy_shared.workdays import china_date

from review_service import access
from review_service.models import PersonInformedRecord
from review_service.repository import registry, work
from review_service.schemas import DiscoveryList, DiscoveryRead, InformedCreate, InformedRead, masked_name

SOURCE = "liangbu/review"


async def listing(
    session: AsyncSession, principal: Principal, region: str | None, limit: int, cursor: str | None, now: datetime
) -> DiscoveryList:
    prefix = access.readable_region(principal, region)
    after = decode_cursor(cursor, str, str) if cursor else None
    rows = await work.discovery(session, prefix, china_date(now), limit, after)
    next_cursor = encode_cursor(rows[-1].place, rows[-1].person_key) if len(rows) == limit else None
    return DiscoveryList(items=[_item(r) for r in rows], next_cursor=next_cursor)


def _item(row: Row[Any]) -> DiscoveryRead:
    offered: tuple[tuple[Subsidy, bool], ...] = (("living", row.living), ("nursing", row.nursing))
    subsidies = [subsidy for subsidy, wanted in offered if wanted]
    return DiscoveryRead(
        person_key=row.person_key,
        name=masked_name(row.name),
        id_number=mask_id_number(row.id_number),
        township=row.place[:9],
        category=row.category,
        grade=row.grade,
        in_dibao=row.in_dibao,
        subsidies=subsidies,
        informed_at=row.informed_at,
    )


async def informed(
    session: AsyncSession, principal: Principal, person_key: str, body: InformedCreate, now: datetime
) -> InformedRead:
    """Someone was told of the policy (visit, phone …): recorded, audited, published for payment (P8)."""
    require_role(principal, *access.FIELD_WORKERS)
    records = await registry.records_of(session, person_key)
    cards = [r for r in records if r.record_kind == "certificate" and r.in_force]
    dibao = [r for r in records if r.record_kind == "dibao" and r.in_force]
    place = next((r.region for r in [*cards, *dibao] if r.region), None)
    missing = f"the registry holds no valid certificate with a region for {person_key}"
    if not cards or place is None:
        raise NotFound(missing)
    require_region(principal, place, not_found=missing)
    subsidies = body.subsidies or _qualifying(dibao != [], min(c.grade or 4 for c in cards))
    if not subsidies:
        raise Unprocessable.at(("body", "subsidies"), "the registry shows no subsidy this person qualifies for")
    township = place[:9] if len(place) >= 9 else None
    row = PersonInformedRecord(
        person_key=person_key,
        subsidies=sorted(subsidies),
        township=township,
        channel=body.channel,
        informed_by=principal.sub,
        informed_at=now,
    )
    session.add(row)
    data = PersonInformedData(
        person_key=person_key,
        subsidies=tuple(sorted(subsidies)),
        township=township,
        channel=body.channel,
        informed_by=principal.sub,
        informed_at=now,
    )
    await outbox.add(session, PersonInformed(source=SOURCE, data=data))
    after = {"subsidies": sorted(subsidies), "channel": body.channel, "township": township}
    await audit.record(session, principal, "person informed", "person", person_key, after=after)
    return InformedRead(
        person_key=person_key,
        subsidies=sorted(subsidies),
        township=township,
        channel=body.channel,
        informed_by=principal.sub,
        informed_at=now,
    )


def _qualifying(in_dibao: bool, grade: int) -> list[Subsidy]:
    subsidies: list[Subsidy] = ["living"] if in_dibao else []
    return [*subsidies, "nursing"] if grade <= 2 else subsidies
