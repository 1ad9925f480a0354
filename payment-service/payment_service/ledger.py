"""The entitlement ledger: what each event does to a person's right to each subsidy.

Decisions open entitlements (from the month the application was handed in, P1); `benefit.changed` starts a
new rate period; certificate records set the expiry that stops payment the month after (P4), the reissue
that keeps the old standard (P6) and the renewal that pays again from the anchor month (P5); concluded
findings suspend or terminate, and what was paid for months after the stop becomes an overpayment.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import locks, outbox
from subsidy_shared.events import (
    BenefitChangedData,
    BenefitResumed,
    BenefitStatusData,
    BenefitSuspended,
    BenefitTerminated,
    EligibilityDecidedData,
    FindingConcludedData,
    PersonInformedData,
    Reason,
    RegistryRecordChangedData,
)
from subsidy_shared.workdays import china_date

from payment_service import policies, recovery, repository
from payment_service.models import Certificate, Entitlement, Hold
from payment_service.rules import month_text, parse_month, renewal_anchor, stop_after_expiry

log = structlog.get_logger(__name__)
SOURCE = "liangbu/payment"
# Certificate changes after which the card is in force (again); `reissuing`: a category/grade change (P6).
_IN_FORCE = frozenset({"issued", "renewed", "reissued", "changed"})


def person_lock(person_key: str) -> str:
    """The lock a person's decision, certificate record and concluded finding take first: they come on three
    topics, so two replicas may hold them at once; the second waits and sees what the first wrote (without it,
    a card recorded while the first entitlement is being opened would be missed by both)."""
    return f"payment:person:{person_key}"


async def open_entitlements(session: AsyncSession, data: EligibilityDecidedData, now: datetime) -> None:
    """Each approved subsidy becomes (or renews) an entitlement paid from its start month."""
    await locks.hold(session, person_lock(data.person_key))
    await repository.share_provinces(session, [data.hukou_region[:2]])
    certificate = await repository.certificate_of(session, data.person_key)
    for decision in data.decisions:
        if decision.outcome != "approved" or decision.start_month is None or decision.monthly_amount_fen is None:
            continue
        start = parse_month(decision.start_month)
        values: dict[str, Any] = {
            "application_id": data.application_id,
            "province": data.hukou_region[:2],
            "county": data.hukou_region[:6],
            "township": data.hukou_region[:9] if len(data.hukou_region) >= 9 else None,
            "hukou_region": data.hukou_region,
            "name": data.beneficiary.name,
            "id_number": data.beneficiary.id_number,
            "bank": data.bank_account.bank,
            "account_number": data.bank_account.account_number,
            "holder_name": data.bank_account.holder_name,
            "certificate_number": data.certificate_number,
            "certificate_expires_on": certificate.expires_on if certificate else None,
            "tier": decision.tier,
            "monthly_amount_fen": decision.monthly_amount_fen,
            "policy_version": data.policy_version,
            "start_month": start,
            "stop_month": None,
            "status": "active",
            "decided_at": data.decided_at,
            "updated_at": now,
        }
        current = await repository.entitlement(session, data.person_key, decision.subsidy, lock=True)
        if current is None:
            await repository.add(
                session,
                Entitlement(
                    person_key=data.person_key, subsidy=decision.subsidy, arrears_from=start, reissuing=False, **values
                ),
            )
        else:
            # A new application after a stop (P8: paid from the new application month, nothing before it).
            before = _state(current)
            for key, value in values.items():
                setattr(current, key, value)
            current.arrears_from = min(current.arrears_from or start, start)
            await _end_holds(session, current, start, ("terminated", "suspended"))
            await repository.audit_system(
                session,
                "entitlement reopened",
                "entitlement",
                _entity(current),
                current.county,
                before=before,
                after=_state(current),
            )
        await repository.set_rate_period(
            session,
            {
                "person_key": data.person_key,
                "subsidy": decision.subsidy,
                "from_month": start,
                "tier": decision.tier,
                "amount_fen": decision.monthly_amount_fen,
                "fixed_fen": None,
                "reason": f"审定 {data.decided_at:%Y-%m-%d} ({data.policy_version})",
            },
        )


async def change_rate(session: AsyncSession, data: BenefitChangedData, now: datetime) -> None:
    """A new tier or amount from its effective month, at each later month's policy."""
    await guard(session, data.person_key)
    entitlement = await repository.entitlement(session, data.person_key, data.subsidy, lock=True)
    if entitlement is None:
        log.warning("payment.benefit_changed_without_entitlement", subsidy=data.subsidy)
        return
    before = _state(entitlement)
    month = parse_month(data.effective_month)
    await repository.set_rate_period(
        session,
        {
            "person_key": data.person_key,
            "subsidy": data.subsidy,
            "from_month": month,
            "tier": data.tier,
            "amount_fen": data.monthly_amount_fen,
            "fixed_fen": None,
            "reason": f"{data.reason.rule_id}: {data.reason.text}",
        },
    )
    entitlement.tier, entitlement.monthly_amount_fen = data.tier, data.monthly_amount_fen
    entitlement.policy_version, entitlement.reissuing, entitlement.updated_at = data.policy_version, False, now
    await repository.audit_system(
        session,
        "rate changed",
        "entitlement",
        _entity(entitlement),
        entitlement.county,
        before=before,
        after=_state(entitlement),
    )


async def follow_certificate(session: AsyncSession, data: RegistryRecordChangedData, now: datetime) -> None:
    """P4 expiry, P6 reissue, P5 renewal — the only stops that need no concluded finding."""
    if data.record_kind != "certificate":
        return
    facts = data.facts
    issued_on = _date(facts.get("issued_on")) or data.effective_date
    expires_on = _date(facts.get("expires_on"))
    if data.change == "expired" and expires_on is None:
        expires_on = data.effective_date or china_date(data.observed_at)
    await locks.hold(session, person_lock(data.person_key))
    await guard(session, data.person_key)
    held = await repository.certificate_of(session, data.person_key)
    if held is not None and _older_card(held, data.change, issued_on, expires_on):
        log.info("payment.older_certificate_ignored", change=data.change)
        return  # an old card imported again, or its late expiry, must not shorten the new one's validity
    newest = await repository.upsert_certificate(
        session,
        {
            "person_key": data.person_key,
            "record_id": data.record_id,
            "change": data.change,
            "issued_on": issued_on,
            "expires_on": expires_on,
            "observed_at": data.observed_at,
        },
    )
    if not newest:
        log.info("payment.older_certificate_observation_ignored", change=data.change)
        return  # a replayed or late message about the card must not undo what a newer one said
    for entitlement in await repository.entitlements_of(session, data.person_key, lock=True):
        if data.change == "reissuing":
            entitlement.reissuing = True
            await _audit_certificate(session, entitlement, "reissue pending: old standard continues (P6)", data)
        elif data.change == "expired" and expires_on is not None:
            await _expire(session, entitlement, expires_on, data)
        elif data.change in _IN_FORCE and expires_on is not None:
            await _renew(session, entitlement, issued_on or expires_on, expires_on, data, now)
        entitlement.updated_at = now


async def _expire(
    session: AsyncSession, entitlement: Entitlement, expires_on: date, data: RegistryRecordChangedData
) -> None:
    entitlement.certificate_expires_on = expires_on
    if entitlement.reissuing or entitlement.status != "active":
        return
    stop = stop_after_expiry(expires_on)
    entitlement.status = "suspended"
    await _announce(session, BenefitSuspended, entitlement, stop, expiry_reason(expires_on))
    await _audit_certificate(session, entitlement, f"certificate expired: stopped from {month_text(stop)} (P4)", data)


def expiry_reason(expires_on: date) -> Reason:
    stop = month_text(stop_after_expiry(expires_on))
    return Reason(rule_id="P4", text=f"残疾人证有效期满（{expires_on}）后，于次月（{stop}）停发补贴")


async def _renew(
    session: AsyncSession,
    entitlement: Entitlement,
    issued_on: date,
    expires_on: date,
    data: RegistryRecordChangedData,
    now: datetime,
) -> None:
    old_expiry = entitlement.certificate_expires_on
    entitlement.certificate_expires_on, entitlement.reissuing = expires_on, False
    if old_expiry is None:
        return
    gap_from = stop_after_expiry(old_expiry)
    if issued_on <= old_expiry:  # renewed before the old card ran out: no gap, whatever runs skipped is paid
        entitlement.arrears_from = min(entitlement.arrears_from or gap_from, gap_from)
        if await _suspended_for_expiry(session, entitlement):
            entitlement.status = "active"
            reason = Reason(rule_id="P5", text=f"残疾人证已于有效期内换发（{issued_on}），连续计发")
            await _announce(session, BenefitResumed, entitlement, gap_from, reason)
        return
    province_book = await policies.book(session, entitlement.province)
    policy = province_book.in_force(entitlement.province, issued_on)
    anchor = max(renewal_anchor(policy.renewal_anchor, issued_on, china_date(data.observed_at)), gap_from)
    if anchor > gap_from:
        await repository.add(
            session,
            Hold(
                person_key=entitlement.person_key,
                subsidy=entitlement.subsidy,
                kind="certificate_gap",
                from_month=gap_from,
                to_month=anchor,
                reason=f"残疾人证过期至换发（{issued_on}）之间不计发（P5）",
                created_at=now,
            ),
        )
    entitlement.arrears_from = min(entitlement.arrears_from or anchor, anchor)
    if entitlement.status == "active" or await _suspended_for_expiry(session, entitlement):
        entitlement.status = "active"  # a terminated right, or one a finding suspended, is not revived by a card
        reason = Reason(rule_id="P5", text=f"新残疾人证（{issued_on}）发证当月（{month_text(anchor)}）起计发")
        await _announce(session, BenefitResumed, entitlement, anchor, reason)
    await _audit_certificate(session, entitlement, f"renewed: paid again from {month_text(anchor)} (P5)", data)


async def conclude_finding(session: AsyncSession, data: FindingConcludedData, now: datetime) -> None:
    """Suspend or terminate from the finding's month; money already sent for later months is owed back."""
    await locks.hold(session, person_lock(data.person_key))
    await guard(session, data.person_key)
    stop = parse_month(data.effective_month)
    for subsidy in data.subsidies:
        entitlement = await repository.entitlement(session, data.person_key, subsidy, lock=True)
        if entitlement is None:
            continue
        before = _state(entitlement)
        reason = Reason(rule_id=f"finding.{data.action}", text=data.reason)
        if data.action in ("terminate", "suspend"):
            await _stop(session, entitlement, data, stop, reason, now)
        elif data.action == "continue" and entitlement.status == "suspended":
            await _end_holds(session, entitlement, stop, ("suspended",))
            entitlement.status = "active"
            entitlement.arrears_from = min(entitlement.arrears_from or stop, stop)
            await recovery.waive_from(session, entitlement, stop, data.reason, now)
            await _announce(session, BenefitResumed, entitlement, stop, reason, data)
        entitlement.updated_at = now
        await repository.audit_system(
            session,
            f"finding concluded: {data.action}",
            "entitlement",
            _entity(entitlement),
            entitlement.county,
            before=before,
            after=_state(entitlement) | {"finding_id": str(data.finding_id)},
        )


async def _stop(
    session: AsyncSession,
    entitlement: Entitlement,
    data: FindingConcludedData,
    stop: date,
    reason: Reason,
    now: datetime,
) -> None:
    kind = "terminated" if data.action == "terminate" else "suspended"
    await repository.add(
        session,
        Hold(
            person_key=entitlement.person_key,
            subsidy=entitlement.subsidy,
            kind=kind,
            from_month=stop,
            finding_id=data.finding_id,
            reason=data.reason,
            created_at=now,
        ),
    )
    if kind == "terminated":
        entitlement.stop_month = min(entitlement.stop_month or stop, stop)
    entitlement.status = kind
    await repository.cancel_failed_from(session, entitlement.person_key, entitlement.subsidy, stop)
    await _announce(
        session, BenefitSuspended if kind == "suspended" else BenefitTerminated, entitlement, stop, reason, data
    )
    await recovery.record_overpayment(session, entitlement, stop, reason, data.finding_id, now)


def _older_card(held: Certificate, change: str, issued_on: date | None, expires_on: date | None) -> bool:
    if change == "expired":
        return bool(held.expires_on and expires_on and expires_on < held.expires_on)
    return bool(held.issued_on and issued_on and issued_on < held.issued_on)


async def guard(session: AsyncSession, person_key: str) -> None:
    """Wait for a payment run of the person's province to finish before changing their ledger."""
    await repository.share_provinces(session, await repository.provinces_of(session, person_key))


async def _suspended_for_expiry(session: AsyncSession, entitlement: Entitlement) -> bool:
    """Suspended by P4 alone (no suspension a finding concluded is still running)."""
    if entitlement.status != "suspended":
        return False
    holds = await repository.holds_of(session, entitlement.person_key, entitlement.subsidy)
    return not any(h.kind == "suspended" and h.to_month is None for h in holds)


async def note_informed(session: AsyncSession, data: PersonInformedData) -> None:
    for subsidy in data.subsidies:
        await repository.mark_informed(session, data.person_key, subsidy, data.informed_at)


async def _end_holds(session: AsyncSession, entitlement: Entitlement, month: date, kinds: tuple[str, ...]) -> None:
    for hold in await repository.holds_of(session, entitlement.person_key, entitlement.subsidy):
        if hold.kind in kinds and (hold.to_month is None or hold.to_month > month):
            hold.to_month = max(month, hold.from_month)


async def _announce(
    session: AsyncSession,
    event_type: Any,
    entitlement: Entitlement,
    month: date,
    reason: Reason,
    finding: FindingConcludedData | None = None,
) -> None:
    data = BenefitStatusData(
        person_key=entitlement.person_key,
        subsidy=entitlement.subsidy,
        effective_month=month_text(month),
        reason=reason,
        finding_id=finding.finding_id if finding else None,
    )
    await outbox.add(session, event_type(source=SOURCE, subject=str(entitlement.application_id), data=data))


async def _audit_certificate(
    session: AsyncSession, entitlement: Entitlement, what: str, data: RegistryRecordChangedData
) -> None:
    await repository.audit_system(
        session,
        what,
        "entitlement",
        _entity(entitlement),
        entitlement.county,
        after={"record_id": data.record_id, "change": data.change},
    )


def _state(entitlement: Entitlement) -> dict[str, Any]:
    return {
        "status": entitlement.status,
        "tier": entitlement.tier,
        "monthly_amount_fen": entitlement.monthly_amount_fen,
        "start_month": month_text(entitlement.start_month),
        "stop_month": month_text(entitlement.stop_month) if entitlement.stop_month else None,
    }


def _entity(entitlement: Entitlement) -> str:
    return f"{entitlement.person_key}/{entitlement.subsidy}"


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None
