"""Reconciliation (对账): a bank's return file confirms or returns each line of the file it was sent.

One line per payment: `seq,account,amount,result,reason` (result `paid|failed`, or `成功|失败`; a header line
is allowed; UTF-8 or GBK). Each line is checked against the bank file's snapshot; bad lines are reported
with their line number and reason, good ones applied. A failed payment emits `payment.failed`; a line
already applied is `unchanged`, so the same file uploaded twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit, outbox
from subsidy_shared.auth import Principal, Role, require_region, require_role
from subsidy_shared.errors import Conflict, NotFound, Unprocessable
from subsidy_shared.events import PaymentFailed, PaymentFailedData
from subsidy_shared.money import yuan

from payment_service import bankfiles, files_repository, repository
from payment_service.files_schemas import ReconciliationRead, RejectedLine
from payment_service.models import PaymentRun
from payment_service.rules import month_text

SOURCE = "liangbu/payment"
RECONCILERS = (Role.COUNTY_CIVIL_AFFAIRS, Role.PROVINCIAL_ADMIN, Role.OPS)
BATCH = 5000  # return lines looked up and applied per statement
MAX_REPORTED = 1000  # rejected lines listed in the answer (all are counted)
_RESULTS: dict[str, Literal["paid", "failed"]] = {"paid": "paid", "成功": "paid", "failed": "failed", "失败": "failed"}
_HEADERS = {"seq", "sequence", "序号"}
# [0-9], not \d: \d also matches full-width and other Unicode digits.
_AMOUNT = re.compile(r"^([0-9]{1,12})(?:\.([0-9]{1,2}))?$")
NO_REASON = "银行退回，未说明原因"
_SEQ = re.compile(r"^[0-9]{1,9}$")


@dataclass(frozen=True, slots=True)
class ReturnLine:
    number: int
    seq: int
    account: str
    amount_fen: int
    result: Literal["paid", "failed"]
    reason: str | None


@dataclass(frozen=True, slots=True)
class Rejection:
    number: int
    reason: str


def decode(content: bytes) -> str:
    """Banks send UTF-8 (with or without BOM) or GBK."""
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unprocessable.at(("body", "file"), "the return file is neither UTF-8 nor GBK text")


def parse_amount(text: str) -> int | None:
    """'180' or '180.5' or '180.50' yuan → 18050 分; anything else (signs, 3 decimals) → None."""
    match = _AMOUNT.match(text)
    if match is None:
        return None
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def parse_line(number: int, fields: Sequence[str]) -> ReturnLine | Rejection:
    fields = [f.strip() for f in fields]
    if len(fields) not in (4, 5):
        return Rejection(number, f"expected 5 fields (seq,account,amount,result,reason), found {len(fields)}")
    seq, account, amount, result = fields[:4]
    reason = fields[4] if len(fields) == 5 and fields[4] else None
    # Reasons never repeat a field: with shifted columns a field may hold an account number or a name.
    if not _SEQ.match(seq):
        return Rejection(number, "the sequence (field 1) is not a number")
    fen = parse_amount(amount)
    if fen is None:
        return Rejection(number, "the amount (field 3) is not yuan with at most two decimals")
    outcome = _RESULTS.get(result.lower())
    if outcome is None:
        return Rejection(number, "the result (field 4) is not paid, failed, 成功 or 失败")
    return ReturnLine(number, int(seq), account.replace(" ", ""), fen, outcome, reason)


def parse_return_file(text: str) -> tuple[list[ReturnLine], list[Rejection]]:
    """Every line parsed or refused; a sequence number given twice is refused the second time."""
    lines: list[ReturnLine] = []
    rejected: list[Rejection] = []
    first_at: dict[int, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        try:  # line by line: a stray quote must not swallow the lines after it
            fields = next(csv.reader([raw]), [])
        except csv.Error:
            rejected.append(Rejection(number, "the line is not valid CSV (an unclosed quote or a field too long)"))
            continue
        if not any(f.strip() for f in fields):
            continue
        if number == 1 and fields[0].strip().lower() in _HEADERS:
            continue
        parsed = parse_line(number, fields)
        if isinstance(parsed, ReturnLine) and parsed.seq in first_at:
            parsed = Rejection(number, f"sequence {parsed.seq} already appears on line {first_at[parsed.seq]}")
        if isinstance(parsed, Rejection):
            rejected.append(parsed)
            continue
        first_at[parsed.seq] = number
        lines.append(parsed)
    return lines, rejected


Verdict = Literal["apply", "unchanged"] | Rejection


def judge(line: ReturnLine, sent: Row[Any] | None, run_id: uuid.UUID) -> Verdict:
    """Whether a return line matches the line sent, and whether it is new."""
    if sent is None:
        return Rejection(line.number, f"sequence {line.seq} is not a line of this bank's file")
    if line.account != sent.account_number:
        return Rejection(line.number, f"account does not match line {line.seq} of the bank file")
    if line.amount_fen != sent.amount_fen:
        return Rejection(
            line.number, f"amount {yuan(line.amount_fen)} differs from {yuan(sent.amount_fen)} in the bank file"
        )
    if sent.result == line.result:
        return "unchanged"
    if sent.result is not None:
        return Rejection(line.number, f"line {line.seq} was already reconciled as {sent.result}")
    if sent.status != "issued" or sent.run_id != run_id:
        return Rejection(line.number, f"the payment of line {line.seq} is {sent.status}, not awaiting the bank")
    return "apply"


@dataclass
class Tally:
    paid: int = 0
    failed: int = 0
    unchanged: int = 0


async def reconcilable_run(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> PaymentRun:
    """Checked before the file is read: nobody uploads 200 MB to be told 403."""
    require_role(principal, *RECONCILERS)
    run = await repository.get_run(session, run_id)
    missing = f"no payment run {run_id}"
    if run is None:
        raise NotFound(missing)
    require_region(principal, run.region, not_found=missing)
    if run.status != "completed":
        raise Conflict(f"payment run {run_id} is {run.status}: nothing has been sent to a bank")
    return run


async def reconcile(
    session: AsyncSession, principal: Principal, run: PaymentRun, bank: str, content: bytes, now: datetime
) -> ReconciliationRead:
    run_id = run.id
    lines, rejected = parse_return_file(decode(content))
    await bankfiles.ensure_lines(session, run_id)
    await files_repository.lock_reconciliation(session, run_id, bank)
    tally = Tally()
    for start in range(0, len(lines), BATCH):
        batch = lines[start : start + BATCH]
        rejected += await _apply(session, run_id, bank, batch, tally, now)
    rejected.sort(key=lambda r: r.number)
    answer = ReconciliationRead(
        run_id=run_id,
        bank=bank,
        paid=tally.paid,
        failed=tally.failed,
        unchanged=tally.unchanged,
        rejected=len(rejected),
        rejected_lines=[RejectedLine(line=r.number, reason=r.reason) for r in rejected[:MAX_REPORTED]],
        rejected_lines_truncated=len(rejected) > MAX_REPORTED,
    )
    after = answer.model_dump(include={"bank", "paid", "failed", "unchanged", "rejected"})
    await audit.record(session, principal, "reconcile bank return file", "payment_run", str(run_id), after=after)
    return answer


async def _apply(
    session: AsyncSession, run_id: uuid.UUID, bank: str, batch: list[ReturnLine], tally: Tally, now: datetime
) -> list[Rejection]:
    sent = await files_repository.snapshot_lines(session, run_id, bank, [line.seq for line in batch])
    rejected: list[Rejection] = []
    applied: list[tuple[ReturnLine, int]] = []
    for line in batch:
        verdict = judge(line, sent.get(line.seq), run_id)
        if isinstance(verdict, Rejection):
            rejected.append(verdict)
        elif verdict == "unchanged":
            tally.unchanged += 1
        else:
            applied.append((line, int(sent[line.seq].payment_id)))
    if not applied:
        return rejected
    reasons = [_reason(line) for line, _ in applied]
    await files_repository.record_results(
        session, run_id, bank, [line.seq for line, _ in applied], [line.result for line, _ in applied], reasons
    )
    paid = [pid for line, pid in applied if line.result == "paid"]
    failed = [
        (pid, reason or "") for (line, pid), reason in zip(applied, reasons, strict=True) if line.result == "failed"
    ]
    tally.paid += await files_repository.mark_paid(session, run_id, paid) if paid else 0
    if failed:
        rows = await files_repository.mark_failed(session, run_id, [f[0] for f in failed], [f[1] for f in failed], now)
        tally.failed += len(rows)
        await outbox.add_many(session, [_failed_event(run_id, row) for row in rows])
    return rejected


def _reason(line: ReturnLine) -> str | None:
    """A returned payment always says why (the person's ledger shows it)."""
    if line.result == "failed":
        return line.reason or NO_REASON
    return line.reason


def _failed_event(run_id: uuid.UUID, row: Row[Any]) -> PaymentFailed:
    data = PaymentFailedData(
        run_id=run_id,
        person_key=row.person_key,
        subsidy=row.subsidy,
        month=month_text(row.month),
        amount_fen=int(row.amount_fen),
        reason=row.reason,
    )
    return PaymentFailed(source=SOURCE, subject=str(row.application_id), data=data)
