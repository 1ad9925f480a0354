"""Request and response models of the payment API: amounts in 分, months as YYYY-MM, personal data masked."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from subsidy_shared.events import Subsidy
from subsidy_shared.ids import mask_account, mask_id_number, mask_name
from subsidy_shared.inputs import BankAccountIn, Strict
from subsidy_shared.money import Fen, Month
from subsidy_shared.text import Line, Text
from subsidy_shared.validators import RegionCode

from payment_service.models import Entitlement, Hold, Overpayment, PaymentRun, RatePeriod, Recovery
from payment_service.rules import month_text


class Read(BaseModel):
    model_config = ConfigDict(frozen=True)


class PaymentRunCreate(Strict):
    region: RegionCode = Field(description="a county (6 digits) or a province (e.g. 230000)")
    month: Month


class PaymentRunRead(Read):
    id: uuid.UUID
    region: str
    month: Month
    status: str
    requested_by: str
    started_at: datetime
    completed_at: datetime | None
    paid_count: int
    arrears_count: int
    carried_count: int
    total_fen: int
    offset_fen: int
    by_subsidy: dict[str, int]

    @classmethod
    def of(cls, run: PaymentRun) -> PaymentRunRead:
        return cls(
            id=run.id,
            region=run.region,
            month=month_text(run.month),
            status=run.status,
            requested_by=run.requested_by,
            started_at=run.started_at,
            completed_at=run.completed_at,
            paid_count=run.paid_count,
            arrears_count=run.arrears_count,
            carried_count=run.carried_count,
            total_fen=run.total_fen,
            offset_fen=run.offset_fen,
            by_subsidy=run.by_subsidy,
        )


class RatePeriodRead(Read):
    from_month: Month
    tier: str | None
    amount_fen: int
    fixed_fen: int | None
    reason: str

    @classmethod
    def of(cls, row: RatePeriod) -> RatePeriodRead:
        return cls(
            from_month=month_text(row.from_month),
            tier=row.tier,
            amount_fen=row.amount_fen,
            fixed_fen=row.fixed_fen,
            reason=row.reason,
        )


class HoldRead(Read):
    kind: str
    from_month: Month
    to_month: Month | None
    reason: str
    finding_id: uuid.UUID | None

    @classmethod
    def of(cls, row: Hold) -> HoldRead:
        return cls(
            kind=row.kind,
            from_month=month_text(row.from_month),
            to_month=month_text(row.to_month) if row.to_month else None,
            reason=row.reason,
            finding_id=row.finding_id,
        )


class EntitlementRead(Read):
    subsidy: str
    status: str
    name: str
    id_number: str
    county: str
    township: str | None
    bank: str
    account_number: str
    tier: str | None
    monthly_amount_fen: int
    policy_version: str
    start_month: Month
    stop_month: Month | None
    certificate_expires_on: date | None
    reissuing: bool
    rate_periods: list[RatePeriodRead]
    holds: list[HoldRead]

    @classmethod
    def of(cls, row: Entitlement, periods: list[RatePeriodRead], holds: list[HoldRead]) -> EntitlementRead:
        return cls(
            subsidy=row.subsidy,
            status=row.status,
            name=mask_name(row.name),
            id_number=mask_id_number(row.id_number),
            county=row.county,
            township=row.township,
            bank=row.bank,
            account_number=mask_account(row.account_number),
            tier=row.tier,
            monthly_amount_fen=row.monthly_amount_fen,
            policy_version=row.policy_version,
            start_month=month_text(row.start_month),
            stop_month=month_text(row.stop_month) if row.stop_month else None,
            certificate_expires_on=row.certificate_expires_on,
            reissuing=row.reissuing,
            rate_periods=periods,
            holds=holds,
        )


class PaymentLine(Read):
    subsidy: str
    month: Month
    amount_fen: int
    offset_fen: int
    tier: str | None
    status: str
    run_id: uuid.UUID
    attempts: int
    failure_reason: str | None

    @classmethod
    def of(cls, row: Any) -> PaymentLine:
        return cls(
            subsidy=row.subsidy,
            month=month_text(row.month),
            amount_fen=row.amount_fen,
            offset_fen=row.offset_fen,
            tier=row.tier,
            status=row.status,
            run_id=row.run_id,
            attempts=row.attempts,
            failure_reason=row.failure_reason,
        )


class RecoveryRead(Read):
    kind: str
    amount_fen: int
    reference: str | None
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, row: Recovery) -> RecoveryRead:
        return cls(
            kind=row.kind,
            amount_fen=row.amount_fen,
            reference=row.reference,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
        )


class OverpaymentRead(Read):
    id: uuid.UUID
    subsidy: str
    county: str
    months: list[dict[str, Any]]
    total_fen: int
    recovered_fen: int
    outstanding_fen: int
    rule_id: str
    reason: str
    finding_id: uuid.UUID | None
    recorded_at: datetime
    recoveries: list[RecoveryRead] = []

    @classmethod
    def of(cls, row: Overpayment, recoveries: list[RecoveryRead] | None = None) -> OverpaymentRead:
        return cls(
            id=row.id,
            subsidy=row.subsidy,
            county=row.county,
            months=row.months,
            total_fen=row.total_fen,
            recovered_fen=row.recovered_fen,
            outstanding_fen=row.total_fen - row.recovered_fen,
            rule_id=row.rule_id,
            reason=row.reason,
            finding_id=row.finding_id,
            recorded_at=row.recorded_at,
            recoveries=recoveries or [],
        )


class BackpayRead(Read):
    subsidy: str
    months: list[str]
    approved_by: str
    reason: str
    approved_at: datetime


class LedgerRead(Read):
    person_key: str
    entitlements: list[EntitlementRead]
    payments: list[PaymentLine]
    overpayments: list[OverpaymentRead]
    backpay: list[BackpayRead]
    total_paid_fen: int


class BackpayCreate(Strict):
    """P5: discretionary backpay on renewal (≤ 3 months, the province's cap), with the reason recorded."""

    subsidy: Subsidy
    months: Annotated[int, Field(ge=1, le=3)]
    reason: Annotated[Text, Field(min_length=4, max_length=500)]


class BankAccountUpdate(Strict):
    bank_account: BankAccountIn
    reason: Annotated[Text, Field(min_length=2, max_length=500)]


class RepaymentCreate(Strict):
    amount_fen: Annotated[Fen, Field(gt=0)]
    reference: Annotated[Line, Field(min_length=1, max_length=200, description="receipt or transfer number")]
