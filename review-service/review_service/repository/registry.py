"""Registry records: staged by COPY, upserted set-based, only changed records returned."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from review_service.models import RegistryRecord
from review_service.repository.bulk import copy_rows

COLUMNS = (
    "source",
    "record_id",
    "record_kind",
    "change",
    "in_force",
    "person_key",
    "id_number",
    "region",
    "effective_date",
    "facts",
    "expires_on",
    "category",
    "grade",
    "content_hash",
    "observed_at",
)
_UPDATED = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c not in ("source", "record_id"))
_COLS = ", ".join(COLUMNS)


async def upsert_records(session: AsyncSession, rows: Sequence[Sequence[Any]]) -> list[tuple[str, str]]:
    """Insert new records, replace changed ones, leave identical ones: returns (source, record_id) changed."""
    if not rows:
        return []
    await session.execute(
        sa.text(
            "CREATE TEMP TABLE IF NOT EXISTS registry_stage (LIKE registry_records INCLUDING DEFAULTS) ON COMMIT DROP"
        )
    )
    await session.execute(sa.text("TRUNCATE registry_stage"))
    await copy_rows(session, "registry_stage", COLUMNS, rows)
    result = await session.execute(
        sa.text(
            f"INSERT INTO registry_records AS r ({_COLS}) SELECT {_COLS} FROM registry_stage "
            f"ON CONFLICT (source, record_id) DO UPDATE SET {_UPDATED} "
            "WHERE r.content_hash <> EXCLUDED.content_hash "
            "RETURNING r.source, r.record_id"
        )
    )
    return [(row.source, row.record_id) for row in result]


async def records_of(session: AsyncSession, person_key: str) -> Sequence[RegistryRecord]:
    stmt = sa.select(RegistryRecord).where(RegistryRecord.person_key == person_key).order_by(RegistryRecord.observed_at)
    return (await session.execute(stmt)).scalars().all()
