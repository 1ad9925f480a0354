"""Every SQL statement of bank files, reconciliation, publicity and reports (set-based; large reads stream)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from payment_service import repository
from payment_service.models import bank_lines

# ---- bank files -----------------------------------------------------------------------------------


async def has_bank_lines(session: AsyncSession, run_id: uuid.UUID) -> bool:
    stmt = sa.select(bank_lines.c.seq).where(bank_lines.c.run_id == run_id).limit(1)
    return (await session.execute(stmt)).first() is not None


# Numbered per bank in a fixed order, once: the same file downloads byte for byte the same every time.
_SNAPSHOT = sa.text(
    """
    INSERT INTO bank_lines (run_id, bank, seq, payment_id, account_number, holder_name, amount_fen, memo)
    SELECT p.run_id, e.bank,
           row_number() OVER (PARTITION BY e.bank ORDER BY p.county, p.id),
           p.id, e.account_number, e.holder_name, p.amount_fen - p.offset_fen,
           to_char(p.month, 'YYYY-MM') || ' ' || CASE p.subsidy WHEN 'living' THEN :living ELSE :nursing END
    FROM payments p
    JOIN entitlements e ON e.person_key = p.person_key AND e.subsidy = p.subsidy
    WHERE p.run_id = :run_id AND p.status = 'issued' AND p.amount_fen - p.offset_fen > 0
      AND NOT EXISTS (SELECT 1 FROM bank_lines b WHERE b.run_id = :run_id)
    """
)


async def snapshot_bank_lines(session: AsyncSession, run_id: uuid.UUID, memo_names: dict[str, str]) -> int:
    """Write the run's bank lines unless they exist; the run row's lock makes two first downloads wait."""
    await session.execute(sa.text("SELECT 1 FROM payment_runs WHERE id = :id FOR UPDATE"), {"id": run_id})
    params = {"run_id": run_id, "living": memo_names["living"], "nursing": memo_names["nursing"]}
    result = await session.execute(_SNAPSHOT, params)
    added = int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an INSERT
    if added:
        # A million new lines the planner has not seen make reconciliation's joins nested-loop over seq
        # scans (minutes instead of seconds); ANALYZE samples them, this transaction's rows included.
        await session.execute(sa.text("ANALYZE bank_lines"))
    return added


async def bank_summaries(session: AsyncSession, run_id: uuid.UUID, bank: str | None = None) -> Sequence[Row[Any]]:
    sql = """
        SELECT bank, count(*) AS lines, sum(amount_fen) AS total_fen,
               count(*) FILTER (WHERE result = 'paid') AS paid, count(*) FILTER (WHERE result = 'failed') AS failed
        FROM bank_lines WHERE run_id = :run_id AND (CAST(:bank AS text) IS NULL OR bank = :bank)
        GROUP BY bank ORDER BY bank
    """
    return (await session.execute(sa.text(sql), {"run_id": run_id, "bank": bank})).all()


async def stream_bank_lines(
    session: AsyncSession, run_id: uuid.UUID, bank: str, chunk: int
) -> AsyncIterator[Sequence[Row[Any]]]:
    """A bank's lines in order through a server-side cursor, `chunk` rows at a time."""
    stmt = sa.text(
        "SELECT seq, account_number, holder_name, amount_fen, memo FROM bank_lines"
        " WHERE run_id = :run_id AND bank = :bank ORDER BY seq"
    ).execution_options(yield_per=chunk)
    result = await session.stream(stmt, {"run_id": run_id, "bank": bank})
    async for rows in result.partitions(chunk):
        yield rows


# ---- reconciliation -------------------------------------------------------------------------------


async def lock_reconciliation(session: AsyncSession, run_id: uuid.UUID, bank: str) -> None:
    """One return file of a run and bank at a time: a second upload sees what the first applied."""
    await session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtext('reconcile:' || :run || ':' || :bank))"),
        {"run": str(run_id), "bank": bank},
    )


async def snapshot_lines(
    session: AsyncSession, run_id: uuid.UUID, bank: str, seqs: Sequence[int]
) -> dict[int, Row[Any]]:
    """The bank file's lines at `seqs`, with the state of their payments."""
    sql = """
        SELECT b.seq, b.account_number, b.amount_fen, b.result, b.payment_id, p.status, p.run_id
        FROM bank_lines b JOIN payments p ON p.id = b.payment_id
        WHERE b.run_id = :run_id AND b.bank = :bank AND b.seq = ANY(CAST(:seqs AS int[]))
    """
    rows = (await session.execute(sa.text(sql), {"run_id": run_id, "bank": bank, "seqs": list(seqs)})).all()
    return {row.seq: row for row in rows}


async def record_results(
    session: AsyncSession,
    run_id: uuid.UUID,
    bank: str,
    seqs: Sequence[int],
    results: Sequence[str],
    reasons: Sequence[str | None],
) -> None:
    sql = """
        UPDATE bank_lines b SET result = u.result, reason = u.reason
        FROM unnest(CAST(:seqs AS int[]), CAST(:results AS text[]), CAST(:reasons AS text[])) AS u(seq, result, reason)
        WHERE b.run_id = :run_id AND b.bank = :bank AND b.seq = u.seq AND b.result IS NULL
    """
    params = {"run_id": run_id, "bank": bank, "seqs": list(seqs), "results": list(results), "reasons": list(reasons)}
    await session.execute(sa.text(sql), params)


async def mark_paid(session: AsyncSession, run_id: uuid.UUID, payment_ids: Sequence[int]) -> int:
    sql = """
        UPDATE payments SET status = 'paid'
        WHERE id = ANY(CAST(:ids AS bigint[])) AND run_id = :run_id AND status = 'issued'
    """
    result = await session.execute(sa.text(sql), {"ids": list(payment_ids), "run_id": run_id})
    return int(result.rowcount)  # type: ignore[attr-defined]


async def mark_failed(
    session: AsyncSession, run_id: uuid.UUID, payment_ids: Sequence[int], reasons: Sequence[str], now: datetime
) -> Sequence[Row[Any]]:
    """Failed lines, returned with what `payment.failed` says (only rows this call changed)."""
    sql = """
        UPDATE payments p SET status = 'failed', failure_reason = u.reason, failed_at = :now
        FROM unnest(CAST(:ids AS bigint[]), CAST(:reasons AS text[])) AS u(id, reason), entitlements e
        WHERE p.id = u.id AND p.run_id = :run_id AND p.status = 'issued'
          AND e.person_key = p.person_key AND e.subsidy = p.subsidy
        RETURNING p.id, p.person_key, p.subsidy, p.month, p.amount_fen - p.offset_fen AS amount_fen, u.reason,
                  e.application_id
    """
    params = {"ids": list(payment_ids), "reasons": list(reasons), "run_id": run_id, "now": now}
    return (await session.execute(sa.text(sql), params)).all()


# ---- publicity ------------------------------------------------------------------------------------

_PUBLICITY = """
    SELECT e.name, e.id_number, e.township, p.county, p.subsidy, p.month, p.amount_fen, p.person_key,
           COALESCE(e.township, '') AS township_key
    FROM payments p
    JOIN entitlements e ON e.person_key = p.person_key AND e.subsidy = p.subsidy
    WHERE p.month = :month AND p.status IN ('issued', 'paid')
      AND p.county LIKE :county_prefix || '%' AND e.hukou_region LIKE :prefix || '%'
"""
_PUBLICITY_ORDER = " ORDER BY COALESCE(e.township, ''), p.person_key, p.subsidy"


def _publicity_params(prefix: str, month: date) -> dict[str, Any]:
    return {"month": month, "prefix": prefix, "county_prefix": prefix[:6]}


async def publicity_page(
    session: AsyncSession, prefix: str, month: date, limit: int, after: tuple[str, str, str] | None
) -> Sequence[Row[Any]]:
    sql, params = _PUBLICITY, _publicity_params(prefix, month)
    if after is not None:
        sql += " AND (COALESCE(e.township, ''), p.person_key, p.subsidy) > (:a_township, :a_key, :a_subsidy)"
        params |= {"a_township": after[0], "a_key": after[1], "a_subsidy": after[2]}
    stmt = sa.text(sql + _PUBLICITY_ORDER + " LIMIT :limit")
    return (await session.execute(stmt, params | {"limit": limit})).all()


async def stream_publicity(
    session: AsyncSession, prefix: str, month: date, chunk: int
) -> AsyncIterator[Sequence[Row[Any]]]:
    stmt = sa.text(_PUBLICITY + _PUBLICITY_ORDER).execution_options(yield_per=chunk)
    result = await session.stream(stmt, _publicity_params(prefix, month))
    async for rows in result.partitions(chunk):
        yield rows


# ---- reports --------------------------------------------------------------------------------------


async def month_totals(session: AsyncSession, prefix: str, month: date) -> Sequence[Row[Any]]:
    sql = """
        SELECT county, subsidy, tier, count(*) AS lines, sum(amount_fen) AS amount_fen, sum(offset_fen) AS offset_fen
        FROM payments
        WHERE month = :month AND status IN ('issued', 'paid') AND county LIKE :prefix || '%'
        GROUP BY county, subsidy, tier ORDER BY county, subsidy, tier NULLS FIRST
    """
    return (await session.execute(sa.text(sql), {"prefix": prefix, "month": month})).all()


# What a run of :month would pay in one county: the SELECT of repository._PAY (read-only, same rules),
# minus what is already paid (the run's ON CONFLICT DO NOTHING), plus the failed lines it would carry.
_WOULD_PAY = f"""
    WITH scope AS (
        SELECT e.*, (
            SELECT max(r.month) FROM payment_runs r
            WHERE r.status = 'completed' AND e.county LIKE r.prefix || '%'
        ) AS last_month
        FROM entitlements e WHERE e.county = :county
    ),
    candidates AS (
        SELECT s.person_key, s.subsidy, s.county, s.province, m.month::date AS month
        FROM scope s CROSS JOIN LATERAL {repository.MONTHS}
        WHERE {repository.PAYABLE}
          AND NOT EXISTS (
              SELECT 1 FROM payments x
              WHERE x.person_key = s.person_key AND x.subsidy = s.subsidy AND x.month = m.month
          )
    ),
    lines AS (
        SELECT c.person_key, c.subsidy, c.month, {repository.AMOUNT} AS amount_fen, false AS carried
        FROM candidates c {repository.PRICED}
        UNION ALL
        SELECT p.person_key, p.subsidy, p.month, p.amount_fen - p.offset_fen, true
        FROM payments p
        JOIN entitlements e ON e.person_key = p.person_key AND e.subsidy = p.subsidy
        WHERE p.status = 'failed' AND p.county = :county
          AND e.account_changed_at IS NOT NULL AND e.account_changed_at > p.failed_at
    )
"""


async def funding_by_subsidy(session: AsyncSession, county: str, month: date) -> Sequence[Row[Any]]:
    sql = (
        _WOULD_PAY
        + """
        SELECT subsidy, count(*) AS lines, count(*) FILTER (WHERE month < :month AND NOT carried) AS arrears,
               count(*) FILTER (WHERE carried) AS carried, sum(amount_fen) AS amount_fen
        FROM lines GROUP BY subsidy ORDER BY subsidy
        """
    )
    return (await session.execute(sa.text(sql), {"county": county, "month": month})).all()


async def funding_offsets(session: AsyncSession, county: str, month: date) -> int:
    """What the run would take back from its payees' outstanding overpayments (never more than it pays them)."""
    sql = (
        _WOULD_PAY
        + """
        , owed AS (
            SELECT person_key, sum(total_fen - recovered_fen) AS fen FROM overpayments
            WHERE recovered_fen < total_fen GROUP BY person_key
        )
        SELECT COALESCE(sum(LEAST(l.fen, o.fen)), 0)
        FROM (SELECT person_key, sum(amount_fen) AS fen FROM lines GROUP BY person_key) l
        JOIN owed o USING (person_key)
        """
    )
    return int((await session.execute(sa.text(sql), {"county": county, "month": month})).scalar_one())


async def last_completed_run(session: AsyncSession, county: str) -> Row[Any] | None:
    """The newest completed run covering the county, and what it paid in that county."""
    sql = """
        SELECT r.id, r.region, r.month, r.completed_at,
               (SELECT COALESCE(sum(p.amount_fen - p.offset_fen), 0) FROM payments p
                WHERE p.run_id = r.id AND p.county = :county) AS county_total_fen
        FROM payment_runs r
        WHERE r.status = 'completed' AND :county LIKE r.prefix || '%'
        ORDER BY r.month DESC, r.completed_at DESC LIMIT 1
    """
    return (await session.execute(sa.text(sql), {"county": county})).first()


async def months_without_run(session: AsyncSession, prefix: str, first: date, last: date) -> Sequence[Row[Any]]:
    """Per county with active entitlements: the months in [first, last] (from its first start month) no
    completed run paid as its month."""
    sql = """
        WITH counties AS (
            SELECT county, min(start_month) AS first_month FROM entitlements
            WHERE county LIKE :prefix || '%' AND status = 'active'
            GROUP BY county
        )
        SELECT c.county, array_agg(m.month::date ORDER BY m.month) AS months
        FROM counties c
        CROSS JOIN generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 month') AS m(month)
        WHERE m.month >= date_trunc('month', c.first_month)
          AND NOT EXISTS (
              SELECT 1 FROM payment_runs r
              WHERE r.status = 'completed' AND r.month = m.month AND c.county LIKE r.prefix || '%'
          )
        GROUP BY c.county ORDER BY c.county
    """
    return (await session.execute(sa.text(sql), {"prefix": prefix, "first": first, "last": last})).all()


async def recovery_by_county(session: AsyncSession, prefix: str) -> Sequence[Row[Any]]:
    sql = """
        SELECT o.county, count(*) AS overpayments, sum(o.total_fen) AS total_fen,
               sum(o.recovered_fen) AS recovered_fen,
               COALESCE(sum(k.offset_fen), 0) AS offset_fen, COALESCE(sum(k.repaid_fen), 0) AS repaid_fen
        FROM overpayments o
        LEFT JOIN (
            SELECT overpayment_id,
                   sum(amount_fen) FILTER (WHERE kind = 'offset') AS offset_fen,
                   sum(amount_fen) FILTER (WHERE kind = 'repayment') AS repaid_fen
            FROM recoveries GROUP BY overpayment_id
        ) k ON k.overpayment_id = o.id
        WHERE o.county LIKE :prefix || '%'
        GROUP BY o.county ORDER BY o.county
    """
    return (await session.execute(sa.text(sql), {"prefix": prefix})).all()
