"""HTTP routes of bank files, reconciliation, publicity and reports: thin — parse, call, answer."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import Field, TypeAdapter, ValidationError
from starlette.datastructures import UploadFile
from subsidy_shared.auth import CurrentPrincipal
from subsidy_shared.clock import NowDep
from subsidy_shared.db import SessionDep
from subsidy_shared.errors import PayloadTooLarge, Unprocessable, UnsupportedMediaType
from subsidy_shared.money import Month
from subsidy_shared.pagination import Cursor
from subsidy_shared.text import Line
from subsidy_shared.validators import AreaCode, RegionCode
from subsidy_shared.workdays import china_date

from payment_service import bankfiles, publicity, reconciliation, reports
from payment_service.files_schemas import (
    BankFileEncoding,
    BankFileList,
    FundingRequest,
    MonthTotals,
    NonMonthlyReport,
    PublicityList,
    ReconciliationRead,
    RecoveryReport,
)
from payment_service.rules import parse_month
from payment_service.settings import MAX_RETURN_FILE_BYTES

router = APIRouter(prefix="/v1")
MonthQuery = Annotated[Month, Query(description="YYYY-MM (1900–2099)", examples=["2026-11"])]
BankName = Annotated[Line, Field(min_length=2, max_length=60, examples=["中国农业银行"])]
BankQuery = Annotated[BankName, Query()]
# Payments are kept by county: reports._scope refuses a level the report does not cover and says which it wants.
AreaQuery = Annotated[AreaCode, Query(description="a county, city or province (6 digits)")]
CountyQuery = Annotated[
    AreaCode,
    Query(
        description="a county (6 digits, not ending in 00)",
        json_schema_extra={"pattern": r"^[0-9]{4}(0[1-9]|[1-9][0-9])$"},
    ),
]
ProvinceQuery = Annotated[
    AreaCode,
    Query(description="a province (6 digits ending in 0000)", json_schema_extra={"pattern": r"^[0-9]{2}0000$"}),
]
_BANK_NAME: TypeAdapter[str] = TypeAdapter(BankName)
_RETURN_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "bank"],
                    "properties": {"file": {"type": "string", "format": "binary"}, "bank": {"type": "string"}},
                }
            },
            "text/csv": {"schema": {"type": "string", "description": "seq,account,amount,result,reason"}},
        },
    }
}


@router.get("/payment-runs/{run_id}/bank-files", tags=["bank files"])
async def list_bank_files(run_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> BankFileList:
    """The banks of a run, each with its line count, total and reconciliation state."""
    return await bankfiles.list_files(session, principal, run_id)


@router.get(
    "/payment-runs/{run_id}/bank-file",
    tags=["bank files"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "fixed-column file, CRLF, control line last"}},
)
async def download_bank_file(
    run_id: uuid.UUID,
    bank: BankQuery,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    encoding: BankFileEncoding | None = None,
) -> StreamingResponse:
    """One bank's disbursement file; the same bytes every time (lines are numbered at the first request)."""
    chosen: BankFileEncoding = encoding or request.app.state.settings.bank_file_encoding
    summary = await bankfiles.prepare_download(session, principal, run_id, bank, chosen)
    name = f"{run_id}-{bank}.txt"
    headers = {
        "Content-Disposition": f"attachment; filename=\"{run_id}.txt\"; filename*=UTF-8''{quote(name)}",
        "X-Line-Count": str(summary.lines),
        "X-Total-Fen": str(summary.amount_fen),
    }
    chunks = bankfiles.file_chunks(request.app.state.sessionmaker, run_id, bank, chosen)
    return StreamingResponse(chunks, media_type=f"text/plain; charset={chosen}", headers=headers)


@router.post("/payment-runs/{run_id}/reconciliation", tags=["bank files"], openapi_extra=_RETURN_FILE_BODY)
async def reconcile(
    run_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
    bank: Annotated[BankName | None, Query()] = None,
) -> ReconciliationRead:
    """The bank's return file (multipart `file` + `bank`, or a text/csv body with ?bank=): bad lines are
    listed with their line number, good ones applied; the same file twice changes nothing."""
    run = await reconciliation.reconcilable_run(session, principal, run_id)
    content, bank = await _return_file(request, bank)
    return await reconciliation.reconcile(session, principal, run, bank, content, now)


async def _return_file(request: Request, bank: str | None) -> tuple[bytes, str]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    where = ("query", "bank")
    if media_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=4) as form:
            upload, field = form.get("file"), form.get("bank")
            if not isinstance(upload, UploadFile):
                raise Unprocessable.at(("body", "file"), "the return file is missing")
            content = await upload.read(MAX_RETURN_FILE_BYTES + 1)
            if isinstance(field, str) and field.strip():
                bank, where = field, ("body", "bank")
    elif media_type in ("text/csv", "text/plain"):
        content = await _body(request)
    else:
        raise UnsupportedMediaType("send the return file as multipart/form-data (file, bank) or as text/csv")
    if len(content) > MAX_RETURN_FILE_BYTES:
        raise PayloadTooLarge(
            f"a return file is at most {MAX_RETURN_FILE_BYTES} bytes", limit_bytes=MAX_RETURN_FILE_BYTES
        )
    if bank is None or not 2 <= len(bank.strip()) <= 60:
        raise Unprocessable.at(where, "name the bank whose return file this is")
    return content, _bank_name(bank.strip(), where)


def _bank_name(bank: str, where: tuple[str, str]) -> str:
    """The multipart `bank` field is read by hand: the same check as the query parameter."""
    try:
        return _BANK_NAME.validate_python(bank)
    except ValidationError as exc:
        raise Unprocessable.at(where, str(exc.errors()[0]["msg"]).removeprefix("Value error, ")) from None


async def _body(request: Request) -> bytes:
    content = bytearray()
    async for piece in request.stream():
        content += piece
        if len(content) > MAX_RETURN_FILE_BYTES:
            break
    return bytes(content)


@router.get(
    "/publicity", tags=["publicity"], response_model=PublicityList, responses={200: {"content": {"text/csv": {}}}}
)
async def get_publicity(
    month: MonthQuery,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    region: RegionCode | None = None,
    format: Literal["json", "csv"] = "json",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Cursor | None = None,
) -> PublicityList | StreamingResponse:
    """公示 of a month (default: the caller's region): masked names and ID numbers, no account, no grade."""
    region = region or principal.region
    if format == "csv":
        prefix = publicity.check_access(principal, region)
        chunks = publicity.csv_chunks(request.app.state.sessionmaker, prefix, parse_month(month))
        disposition = f'attachment; filename="publicity-{region}-{month}.csv"'
        return StreamingResponse(
            chunks, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition}
        )
    return await publicity.page(session, principal, region, parse_month(month), limit, cursor)


@router.get("/reports/totals", tags=["reports"])
async def month_totals(
    region: AreaQuery, month: MonthQuery, session: SessionDep, principal: CurrentPrincipal
) -> MonthTotals:
    """A month's lines and amounts by county, subsidy and tier."""
    return await reports.month_totals(session, principal, region, parse_month(month))


@router.get("/reports/funding-request", tags=["reports"])
async def funding_request(
    county: CountyQuery, month: MonthQuery, session: SessionDep, principal: CurrentPrincipal
) -> FundingRequest:
    """资金申请: what the county's run of the month would pay, per subsidy, before it runs."""
    return await reports.funding_request(session, principal, county, parse_month(month))


@router.get("/reports/non-monthly", tags=["reports"])
async def non_monthly(
    province: ProvinceQuery,
    year: Annotated[int, Query(ge=2000, le=2100)],
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
) -> NonMonthlyReport:
    """Counties that missed months this year: they report to the province by 31 December."""
    return await reports.non_monthly(session, principal, province, year, china_date(now))


@router.get("/reports/recovery", tags=["reports"])
async def recovery_report(region: AreaQuery, session: SessionDep, principal: CurrentPrincipal) -> RecoveryReport:
    """Overpayments per county and in total: owed, recovered, outstanding."""
    return await reports.recovery(session, principal, region)
