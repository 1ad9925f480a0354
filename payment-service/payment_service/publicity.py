"""公示: the public list of a month's beneficiaries — masked name and ID number, township, subsidy, amount.

Never a bank account, never a disability category, grade or tier. A payment counts under its own month, so
arrears paid by a later run appear in the list of the month they are for.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from datetime import date
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from subsidy_shared.auth import CASE_READERS, Principal, require_region, require_role
from subsidy_shared.ids import mask_id_number, mask_name
from subsidy_shared.pagination import decode_cursor, encode_cursor
from subsidy_shared.regions import region_prefix

from payment_service import files_repository
from payment_service.files_schemas import PublicityItem, PublicityList
from payment_service.rules import month_text

CHUNK = 5000
CSV_HEADER = ("姓名", "身份证号", "县（区）", "乡镇（街道）", "补贴", "月份", "金额（元）")
SUBSIDY_NAMES = {"living": "困难残疾人生活补贴", "nursing": "重度残疾人护理补贴"}
BOM = "\ufeff"


def check_access(principal: Principal, region: str) -> str:
    """Any official of the region (or above) may read its list; returns the region's prefix."""
    require_role(principal, *CASE_READERS)
    require_region(principal, region)
    return region_prefix(region)


def item(row: Row[Any]) -> PublicityItem:
    return PublicityItem(
        name=mask_name(row.name),
        id_number=mask_id_number(row.id_number),
        county=row.county,
        township=row.township,
        subsidy=row.subsidy,
        month=month_text(row.month),
        amount_fen=row.amount_fen,
    )


async def page(
    session: AsyncSession, principal: Principal, region: str, month: date, limit: int, cursor: str | None
) -> PublicityList:
    prefix = check_access(principal, region)
    after = decode_cursor(cursor, str, str, str) if cursor else None
    rows = await files_repository.publicity_page(session, prefix, month, limit, after)
    last = rows[-1] if len(rows) == limit else None
    next_cursor = encode_cursor(last.township_key, last.person_key, last.subsidy) if last is not None else None
    return PublicityList(region=region, month=month_text(month), items=[item(r) for r in rows], next_cursor=next_cursor)


def csv_rows(rows: Iterable[PublicityItem]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(
            (
                row.name,
                row.id_number,
                row.county,
                row.township or "",
                SUBSIDY_NAMES[row.subsidy],
                row.month,
                row.amount_yuan,
            )
        )
    return out.getvalue()


async def csv_chunks(sessionmaker: async_sessionmaker[AsyncSession], prefix: str, month: date) -> AsyncIterator[bytes]:
    """The whole list as CSV (UTF-8 with BOM, so that Excel reads the Chinese), a chunk at a time."""
    yield (BOM + ",".join(CSV_HEADER) + "\r\n").encode("utf-8")
    async with sessionmaker() as session, session.begin():
        async for rows in files_repository.stream_publicity(session, prefix, month, CHUNK):
            yield csv_rows(item(r) for r in rows).encode("utf-8")
