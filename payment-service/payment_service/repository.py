"""Every SQL statement of the payment service; the run's statements are set-based (no per-row Python)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date, datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit

from payment_service.models import (
    BackpayApproval,
    Certificate,
    Entitlement,
    Hold,
    Informed,
    Overpayment,
    PaymentRun,
    Policy,
    RatePeriod,
    Recovery,
    payments,
    tier_rates,
    transitions,
)

# ---- policy copy ----------------------------------------------------------------------------------


async def any_policy(session: AsyncSession) -> bool:
    return (await session.execute(sa.select(Policy.province).limit(1))).first() is not None


async def upsert_policy(
    session: AsyncSession, province: str, version: str, effective_from: date, body: dict[str, Any]
) -> None:
    stmt = insert(Policy).values(province=province, version=version, effective_from=effective_from, body=body)
    await session.execute(stmt.on_conflict_do_nothing())


async def policy_bodies(session: AsyncSession, province: str) -> Sequence[dict[str, Any]]:
    stmt = sa.select(Policy.body).where(Policy.province == province).order_by(Policy.effective_from)
    return (await session.execute(stmt)).scalars().all()


async def replace_rates(
    session: AsyncSession, province: str, rates: list[dict[str, Any]], periods: list[dict[str, Any]]
) -> None:
    await session.execute(sa.delete(tier_rates).where(tier_rates.c.province == province))
    await session.execute(sa.delete(transitions).where(transitions.c.province == province))
    if rates:
        await session.execute(sa.insert(tier_rates), rates)
    if periods:
        await session.execute(sa.insert(transitions), periods)


# ---- the ledger -----------------------------------------------------------------------------------


async def entitlement(session: AsyncSession, person_key: str, subsidy: str, lock: bool = False) -> Entitlement | None:
    stmt = sa.select(Entitlement).where(Entitlement.person_key == person_key, Entitlement.subsidy == subsidy)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def entitlements_of(session: AsyncSession, person_key: str, lock: bool = False) -> Sequence[Entitlement]:
    stmt = sa.select(Entitlement).where(Entitlement.person_key == person_key).order_by(Entitlement.subsidy)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalars().all()


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


async def set_rate_period(session: AsyncSession, values: dict[str, Any]) -> None:
    """A period starting the same month as one held replaces it (the newer decision wins)."""
    stmt = insert(RatePeriod).values(**values)
    keep = ("tier", "amount_fen", "fixed_fen", "reason")
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["person_key", "subsidy", "from_month"], set_={k: stmt.excluded[k] for k in keep}
        )
    )


async def rate_periods(session: AsyncSession, person_key: str) -> Sequence[RatePeriod]:
    stmt = (
        sa.select(RatePeriod)
        .where(RatePeriod.person_key == person_key)
        .order_by(RatePeriod.subsidy, RatePeriod.from_month)
    )
    return (await session.execute(stmt)).scalars().all()


async def holds_of(session: AsyncSession, person_key: str, subsidy: str | None = None) -> Sequence[Hold]:
    stmt = sa.select(Hold).where(Hold.person_key == person_key)
    if subsidy is not None:
        stmt = stmt.where(Hold.subsidy == subsidy)
    return (await session.execute(stmt.order_by(Hold.subsidy, Hold.from_month, Hold.id))).scalars().all()


async def certificate_of(session: AsyncSession, person_key: str) -> Certificate | None:
    return await session.get(Certificate, person_key)


async def upsert_certificate(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Keep the newest observation of a person's certificate; False when a late older one was ignored."""
    stmt = insert(Certificate).values(**values)
    upsert = stmt.on_conflict_do_update(
        index_elements=["person_key"],
        set_={k: stmt.excluded[k] for k in ("record_id", "change", "issued_on", "expires_on", "observed_at")},
        where=Certificate.observed_at <= stmt.excluded.observed_at,
    ).returning(Certificate.person_key)
    return (await session.execute(upsert)).first() is not None


async def mark_informed(session: AsyncSession, person_key: str, subsidy: str, at: datetime) -> None:
    stmt = insert(Informed).values(person_key=person_key, subsidy=subsidy, informed_at=at)
    await session.execute(stmt.on_conflict_do_nothing())


# ---- payments of a person -------------------------------------------------------------------------


async def payments_of(session: AsyncSession, person_key: str) -> Sequence[Any]:
    stmt = sa.select(payments).where(payments.c.person_key == person_key).order_by(payments.c.subsidy, payments.c.month)
    return (await session.execute(stmt)).all()


async def paid_from(session: AsyncSession, person_key: str, subsidy: str, month: date) -> Sequence[Any]:
    """Payments sent for `month` or later: issued or confirmed paid (a line the bank returned was never received)."""
    stmt = (
        sa.select(payments.c.id, payments.c.month, payments.c.amount_fen)
        .where(
            payments.c.person_key == person_key,
            payments.c.subsidy == subsidy,
            payments.c.month >= month,
            payments.c.status.in_(("issued", "paid")),
            payments.c.overpayment_id.is_(None),  # a month already owed back is not owed twice
        )
        .order_by(payments.c.month)
    )
    return (await session.execute(stmt)).all()


async def mark_overpaid(session: AsyncSession, payment_ids: Sequence[int], overpayment_id: uuid.UUID | None) -> None:
    await session.execute(
        sa.update(payments).where(payments.c.id.in_(payment_ids)).values(overpayment_id=overpayment_id)
    )


async def payments_owed_back(session: AsyncSession, overpayment_id: uuid.UUID, month: date) -> list[int]:
    stmt = sa.select(payments.c.id).where(payments.c.overpayment_id == overpayment_id, payments.c.month >= month)
    return list((await session.execute(stmt)).scalars().all())


async def informed_at(session: AsyncSession, person_key: str, subsidy: str) -> datetime | None:
    row = await session.get(Informed, (person_key, subsidy))
    return row.informed_at if row else None


async def cancel_failed_from(session: AsyncSession, person_key: str, subsidy: str, month: date) -> None:
    """A failed payment for a month no longer payable is not carried into a later run."""
    await session.execute(
        sa.update(payments)
        .where(
            payments.c.person_key == person_key,
            payments.c.subsidy == subsidy,
            payments.c.month >= month,
            payments.c.status == "failed",
        )
        .values(status="cancelled")
    )


# ---- overpayments and recovery --------------------------------------------------------------------


async def overpayments_of(session: AsyncSession, person_key: str, lock: bool = False) -> Sequence[Overpayment]:
    stmt = sa.select(Overpayment).where(Overpayment.person_key == person_key).order_by(Overpayment.recorded_at)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalars().all()


async def overpayment(session: AsyncSession, overpayment_id: uuid.UUID, lock: bool = False) -> Overpayment | None:
    stmt = sa.select(Overpayment).where(Overpayment.id == overpayment_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def outstanding_overpayments(session: AsyncSession, person_keys: Sequence[str]) -> Sequence[Overpayment]:
    stmt = (
        sa.select(Overpayment)
        .where(Overpayment.person_key.in_(person_keys), Overpayment.recovered_fen < Overpayment.total_fen)
        .order_by(Overpayment.person_key, Overpayment.recorded_at)
        .with_for_update()
    )
    return (await session.execute(stmt)).scalars().all()


async def recoveries_of(session: AsyncSession, overpayment_ids: Sequence[uuid.UUID]) -> Sequence[Recovery]:
    stmt = sa.select(Recovery).where(Recovery.overpayment_id.in_(overpayment_ids)).order_by(Recovery.id)
    return (await session.execute(stmt)).scalars().all()


async def overpayments_in(session: AsyncSession, prefix: str, only_outstanding: bool) -> Sequence[Overpayment]:
    stmt = sa.select(Overpayment).where(Overpayment.county.startswith(prefix))
    if only_outstanding:
        stmt = stmt.where(Overpayment.recovered_fen < Overpayment.total_fen)
    return (await session.execute(stmt.order_by(Overpayment.county, Overpayment.recorded_at))).scalars().all()


async def backpay_approvals_of(session: AsyncSession, person_key: str) -> Sequence[BackpayApproval]:
    stmt = sa.select(BackpayApproval).where(BackpayApproval.person_key == person_key).order_by(BackpayApproval.id)
    return (await session.execute(stmt)).scalars().all()


# ---- runs -----------------------------------------------------------------------------------------


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> PaymentRun | None:
    return await session.get(PaymentRun, run_id)


async def lock_region(session: AsyncSession, prefix: str) -> None:
    """Runs of one province are served one at a time (a county run inside a province run too)."""
    await session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('payment-run:' || :p))"), {"p": prefix[:2]})
    # JIT compiles each county batch's plan anew (~0.4 s a statement) for work that takes milliseconds.
    await session.execute(sa.text("SET LOCAL jit = off"))


async def share_provinces(session: AsyncSession, provinces: Collection[str]) -> None:
    """Ledger changes wait for a running run of their province (and a run waits for them): a run sees either
    all of a change or none of it, and never clears an `arrears_from` set while it ran."""
    for province in sorted(set(provinces)):
        await session.execute(
            sa.text("SELECT pg_advisory_xact_lock_shared(hashtext('payment-run:' || :p))"), {"p": province}
        )


async def provinces_of(session: AsyncSession, person_key: str) -> list[str]:
    stmt = sa.select(Entitlement.province).where(Entitlement.person_key == person_key).distinct()
    return list((await session.execute(stmt)).scalars().all())


async def counties_in(session: AsyncSession, prefix: str) -> list[str]:
    stmt = sa.select(Entitlement.county).where(Entitlement.county.startswith(prefix)).distinct()
    return sorted((await session.execute(stmt)).scalars().all())


async def last_runs(session: AsyncSession, counties: Sequence[str]) -> dict[str, date | None]:
    """The latest month a completed run covered, per county (a province run covers all its counties)."""
    sql = sa.text(
        """
        SELECT c.county, max(r.month) AS last_month
        FROM unnest(CAST(:counties AS text[])) AS c(county)
        LEFT JOIN payment_runs r ON r.status = 'completed' AND c.county LIKE r.prefix || '%'
        GROUP BY c.county
        """
    )
    rows = (await session.execute(sql, {"counties": list(counties)})).all()
    return {row.county: row.last_month for row in rows}


# The rules of rules.Schedule in SQL, shared by the run and the funding request so they never disagree.
# MONTHS: from the county's last run (or the start) to the run's month, plus what `arrears_from` reopens.
MONTHS = """
    generate_series(
        LEAST(
            COALESCE(s.arrears_from, :month),
            GREATEST(s.start_month, COALESCE((s.last_month + interval '1 month')::date, s.start_month))
        ),
        CAST(:month AS date),
        interval '1 month'
    ) AS m(month)
"""
PAYABLE = """
    m.month >= s.start_month
    AND (s.stop_month IS NULL OR m.month < s.stop_month)
    AND (
        s.certificate_expires_on IS NULL
        OR m.month < (date_trunc('month', s.certificate_expires_on) + interval '1 month')
        OR s.reissuing
        OR EXISTS (
            SELECT 1 FROM transitions t
            WHERE t.province = s.province AND m.month BETWEEN t.from_month AND t.to_month
        )
    )
    AND NOT EXISTS (
        SELECT 1 FROM holds h
        WHERE h.person_key = s.person_key AND h.subsidy = s.subsidy
          AND h.from_month <= m.month AND (h.to_month IS NULL OR m.month < h.to_month)
    )
"""
# The month's amount: the tier of the rate period in force, at the policy version valid that month.
PRICED = """
    CROSS JOIN LATERAL (
        SELECT rp.tier, rp.amount_fen, rp.fixed_fen FROM rate_periods rp
        WHERE rp.person_key = c.person_key AND rp.subsidy = c.subsidy AND rp.from_month <= c.month
        ORDER BY rp.from_month DESC LIMIT 1
    ) p
    LEFT JOIN tier_rates r
      ON r.province = c.province AND r.subsidy = c.subsidy AND r.tier = p.tier
     AND r.from_month <= c.month AND (r.to_month IS NULL OR c.month < r.to_month)
"""
AMOUNT = "COALESCE(p.fixed_fen, r.amount_fen, p.amount_fen)"

_PAY = sa.text(
    f"""
    WITH scope AS (
        SELECT e.*, c.last_month
        FROM entitlements e
        JOIN unnest(CAST(:counties AS text[]), CAST(:last_months AS date[])) AS c(county, last_month)
          ON e.county = c.county
    ),
    candidates AS (
        SELECT s.person_key, s.subsidy, s.county, s.province, m.month::date AS month
        FROM scope s CROSS JOIN LATERAL {MONTHS}
        WHERE {PAYABLE}
    )
    INSERT INTO payments (person_key, subsidy, month, amount_fen, tier, county, run_id)
    SELECT c.person_key, c.subsidy, c.month, {AMOUNT}, p.tier, c.county, :run_id
    FROM candidates c {PRICED}
    ON CONFLICT ON CONSTRAINT uq_payments_person_subsidy_month DO NOTHING
    """
)


async def pay(
    session: AsyncSession, run_id: uuid.UUID, month: date, counties: Sequence[str], last: dict[str, date | None]
) -> int:
    params = {
        "run_id": run_id,
        "month": month,
        "counties": list(counties),
        "last_months": [last.get(c) for c in counties],
    }
    result = await session.execute(_PAY, params)
    return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an INSERT


async def suspend_expired(session: AsyncSession, counties: Sequence[str], month: date) -> Sequence[Any]:
    """P4 without an `expired` record: an active entitlement whose card ran out before `month` (no reissue, no
    transition period covering the month) is marked suspended; returns the rows changed."""
    sql = sa.text(
        """
        UPDATE entitlements e SET status = 'suspended', updated_at = now()
        WHERE e.county = ANY(CAST(:counties AS text[])) AND e.status = 'active' AND NOT e.reissuing
          AND e.certificate_expires_on IS NOT NULL
          AND date_trunc('month', e.certificate_expires_on) + interval '1 month' <= :month
          AND NOT EXISTS (
              SELECT 1 FROM transitions t
              WHERE t.province = e.province AND :month BETWEEN t.from_month AND t.to_month
          )
        RETURNING e.person_key, e.subsidy, e.application_id, e.certificate_expires_on
        """
    )
    return (await session.execute(sql, {"counties": list(counties), "month": month})).all()


async def close_arrears(session: AsyncSession, counties: Sequence[str], month: date) -> None:
    """What the run looked at again is settled (a later run of an earlier month keeps the flag)."""
    await session.execute(
        sa.update(Entitlement)
        .where(
            Entitlement.county.in_(counties),
            Entitlement.arrears_from.is_not(None),
            Entitlement.arrears_from <= month,
        )
        .values(arrears_from=None)
    )


async def carry_failed(session: AsyncSession, run_id: uuid.UUID, prefix: str) -> int:
    """Failed lines whose account was corrected since go into this run (same row: never paid twice)."""
    sql = sa.text(
        """
        UPDATE payments p SET run_id = :run_id, status = 'issued', attempts = p.attempts + 1,
               failure_reason = NULL, failed_at = NULL
        FROM entitlements e
        WHERE p.status = 'failed' AND p.county LIKE :prefix || '%'
          AND e.person_key = p.person_key AND e.subsidy = p.subsidy
          AND e.account_changed_at IS NOT NULL AND e.account_changed_at > p.failed_at
        """
    )
    result = await session.execute(sql, {"run_id": run_id, "prefix": prefix})
    return int(result.rowcount)  # type: ignore[attr-defined]


async def run_payees_with_debts(session: AsyncSession, run_id: uuid.UUID) -> list[str]:
    sql = sa.text(
        """
        SELECT DISTINCT p.person_key FROM payments p
        JOIN overpayments o ON o.person_key = p.person_key AND o.recovered_fen < o.total_fen
        WHERE p.run_id = :run_id
        """
    )
    return list((await session.execute(sql, {"run_id": run_id})).scalars().all())


async def run_payments_of(session: AsyncSession, run_id: uuid.UUID, person_key: str) -> Sequence[Any]:
    stmt = (
        sa.select(payments.c.id, payments.c.amount_fen, payments.c.offset_fen)
        .where(payments.c.run_id == run_id, payments.c.person_key == person_key)
        .order_by(payments.c.month, payments.c.subsidy)
    )
    return (await session.execute(stmt)).all()


async def set_offset(session: AsyncSession, payment_id: int, offset_fen: int) -> None:
    await session.execute(sa.update(payments).where(payments.c.id == payment_id).values(offset_fen=offset_fen))


async def run_totals(session: AsyncSession, run_id: uuid.UUID, month: date) -> Sequence[Any]:
    sql = sa.text(
        """
        SELECT subsidy, count(*) AS lines, count(*) FILTER (WHERE month < :month) AS arrears,
               sum(amount_fen - offset_fen) AS net, sum(offset_fen) AS offsets
        FROM payments WHERE run_id = :run_id GROUP BY subsidy ORDER BY subsidy
        """
    )
    return (await session.execute(sql, {"run_id": run_id, "month": month})).all()


# ---- audit ----------------------------------------------------------------------------------------


# An audit row for a change this service made on an event or a schedule, not on a person's request.
audit_system = partial(audit.record_system, actor="payment-service")
