"""Response models of bank files, reconciliation, publicity and reports: amounts in 分 (and yuan to read)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import computed_field
from subsidy_shared.money import Month, yuan

from payment_service.schemas import Read

BankFileEncoding = Literal["utf-8", "gbk"]


class Amount(Read):
    amount_fen: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)


class BankFileRead(Amount):
    """One bank's file of a run: its lines, their total, and how many the bank has confirmed or returned."""

    bank: str
    lines: int
    paid: int
    failed: int
    awaiting: int


class BankFileList(Read):
    run_id: uuid.UUID
    region: str
    month: Month
    files: list[BankFileRead]


class RejectedLine(Read):
    line: int
    reason: str


class ReconciliationRead(Read):
    """What a return file changed: lines applied (paid, failed), already applied (unchanged), refused."""

    run_id: uuid.UUID
    bank: str
    paid: int
    failed: int
    unchanged: int
    rejected: int
    rejected_lines: list[RejectedLine]
    rejected_lines_truncated: bool


class PublicityItem(Amount):
    """One line of the 公示 list: masked name and ID number, where, which subsidy, how much — nothing else."""

    name: str
    id_number: str
    county: str
    township: str | None
    subsidy: str
    month: Month


class PublicityList(Read):
    region: str
    month: Month
    items: list[PublicityItem]
    next_cursor: str | None


class TotalsRow(Amount):
    county: str
    subsidy: str
    tier: str | None
    lines: int
    offset_fen: int


class MonthTotals(Amount):
    region: str
    month: Month
    lines: int
    rows: list[TotalsRow]


class FundingLine(Amount):
    subsidy: str
    lines: int
    arrears_lines: int
    carried_lines: int


class LastRun(Read):
    id: uuid.UUID
    region: str
    month: Month
    completed_at: datetime | None
    county_total_fen: int


class FundingRequest(Amount):
    """资金申请 (P11): what the county's run of `month` would pay, before it runs."""

    county: str
    county_name: str
    month: Month
    by_subsidy: list[FundingLine]
    expected_offset_fen: int
    net_fen: int
    last_run: LastRun | None


class CountyMissingMonths(Read):
    county: str
    county_name: str
    missing_months: list[Month]


class NonMonthlyReport(Read):
    """Counties that did not pay every month of the year so far: they report to the province by 31 December."""

    province: str
    year: int
    through_month: Month
    report_due: str
    counties: list[CountyMissingMonths]


class RecoveryRow(Read):
    overpayments: int
    total_fen: int
    recovered_fen: int
    offset_fen: int
    repaid_fen: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def outstanding_fen(self) -> int:
        return self.total_fen - self.recovered_fen


class CountyRecovery(RecoveryRow):
    county: str


class RecoveryReport(Read):
    region: str
    counties: list[CountyRecovery]
    total: RecoveryRow
