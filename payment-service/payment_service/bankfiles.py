"""Bank disbursement files (代发文件): one fixed-column file per run and bank, numbered once, streamed.

Each line: sequence (8), account (32), holder (40), amount in yuan (15, right-aligned), memo (40) — widths in
bytes of the file's encoding (GBK: a Chinese character is 2 bytes), cut before a character that would not
fit, padded with spaces, CRLF. The last line is the control line: `TOTAL`, the line count (in the account
column) and the total (in the amount column). Every line, the control line too, is 135 bytes and CRLF.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from subsidy_shared import audit
from subsidy_shared.auth import Principal, Role, require_region, require_role
from subsidy_shared.errors import Conflict, NotFound
from subsidy_shared.money import yuan

from payment_service import files_repository, repository
from payment_service.files_schemas import BankFileEncoding, BankFileList, BankFileRead
from payment_service.models import PaymentRun
from payment_service.rules import month_text

SEQ, ACCOUNT, HOLDER, AMOUNT, MEMO = 8, 32, 40, 15, 40
LINE_BYTES = SEQ + ACCOUNT + HOLDER + AMOUNT + MEMO
CRLF = b"\r\n"
CHUNK = 5000  # lines fetched and written at a time: memory stays flat for a million-line file
MEMO_NAMES = {"living": "残疾人生活补贴", "nursing": "残疾人护理补贴"}
FILE_READERS = (Role.COUNTY_CIVIL_AFFAIRS, Role.PROVINCIAL_ADMIN, Role.OPS, Role.AUDITOR)
# A control character in a name would break the fixed columns (or the line).
_CONTROLS = {code: " " for code in [*range(32), 127]}


def fit(text: str, width: int, encoding: str) -> bytes:
    """`text` left-aligned in exactly `width` bytes: never half a character; unencodable characters → '?'."""
    text = text.translate(_CONTROLS)
    encoded = text.encode(encoding, errors="replace")
    if len(encoded) > width:
        encoded = b""
        for char in text:
            piece = char.encode(encoding, errors="replace")
            if len(encoded) + len(piece) > width:
                break
            encoded += piece
    return encoded.ljust(width, b" ")


def right(text: str, width: int) -> bytes:
    return text.encode("ascii").rjust(width, b" ")[-width:]


def bank_line(seq: int, account: str, holder: str, amount_fen: int, memo: str, encoding: str) -> bytes:
    return (
        f"{seq:0{SEQ}d}".encode("ascii")
        + fit(account, ACCOUNT, encoding)
        + fit(holder, HOLDER, encoding)
        + right(yuan(amount_fen), AMOUNT)
        + fit(memo, MEMO, encoding)
        + CRLF
    )


def control_line(count: int, total_fen: int) -> bytes:
    return (
        b"TOTAL".ljust(SEQ, b" ")
        + right(str(count), ACCOUNT)
        + b" " * HOLDER
        + right(yuan(total_fen), AMOUNT)
        + b" " * MEMO
        + CRLF
    )


async def _readable_run(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> PaymentRun:
    require_role(principal, *FILE_READERS)
    run = await repository.get_run(session, run_id)
    missing = f"no payment run {run_id}"
    if run is None:
        raise NotFound(missing)
    require_region(principal, run.region, not_found=missing)
    if run.status != "completed":
        raise Conflict(f"payment run {run_id} is {run.status}: its bank files exist once it has completed")
    return run


async def ensure_lines(session: AsyncSession, run_id: uuid.UUID) -> None:
    """Number the run's lines per bank the first time its files are asked for (then never again)."""
    if not await files_repository.has_bank_lines(session, run_id):
        await files_repository.snapshot_bank_lines(session, run_id, MEMO_NAMES)


def _summary(row: Row[Any]) -> BankFileRead:
    lines, paid, failed = int(row.lines), int(row.paid), int(row.failed)
    return BankFileRead(
        bank=row.bank,
        lines=lines,
        amount_fen=int(row.total_fen),
        paid=paid,
        failed=failed,
        awaiting=lines - paid - failed,
    )


async def list_files(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> BankFileList:
    run = await _readable_run(session, principal, run_id)
    await ensure_lines(session, run_id)
    rows = await files_repository.bank_summaries(session, run_id)
    return BankFileList(
        run_id=run.id, region=run.region, month=month_text(run.month), files=[_summary(r) for r in rows]
    )


async def prepare_download(
    session: AsyncSession, principal: Principal, run_id: uuid.UUID, bank: str, encoding: BankFileEncoding
) -> BankFileRead:
    """Check, number and audit a download; the lines themselves are streamed by `file_chunks`."""
    await _readable_run(session, principal, run_id)
    await ensure_lines(session, run_id)
    rows = await files_repository.bank_summaries(session, run_id, bank)
    if not rows:
        raise NotFound(f"payment run {run_id} has no lines for bank {bank}")
    summary = _summary(rows[0])
    after = {"bank": bank, "encoding": encoding, "lines": summary.lines, "total_fen": summary.amount_fen}
    await audit.record(session, principal, "download bank file", "payment_run", str(run_id), after=after)
    return summary


async def file_chunks(
    sessionmaker: async_sessionmaker[AsyncSession], run_id: uuid.UUID, bank: str, encoding: BankFileEncoding
) -> AsyncIterator[bytes]:
    """The file, a chunk of lines at a time, from its own read-only transaction (the request's has ended)."""
    count = total = 0
    async with sessionmaker() as session, session.begin():
        async for rows in files_repository.stream_bank_lines(session, run_id, bank, CHUNK):
            yield b"".join(
                bank_line(r.seq, r.account_number, r.holder_name, r.amount_fen, r.memo, encoding) for r in rows
            )
            count += len(rows)
            total += sum(int(r.amount_fen) for r in rows)
    yield control_line(count, total)
