"""Pure routing rules: where a case goes, when each step is due (working days), how a clock stands."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date

from subsidy_shared.regions import Scope, parse_region, scope_between
from subsidy_shared.workdays import add_workdays, deadline_state

PUSH_WORKDAYS = 3  # 材料收齐之日起3个工作日内推送
DECISION_WORKDAYS = 10  # 收到推送材料之日起10个工作日内完成认定
NOTIFY_WORKDAYS = 3  # 收到办理结果3个工作日内通知申请人

CLOCKS = ("push", "decision", "notify")

# Ids of cases sent by a province system are derived from (province, its id), so a repeat is the same case.
EXCHANGE_NAMESPACE = uuid.UUID("8a3f5c1e-2b7d-5e4a-9c61-4f0d2e7b9a13")


@dataclass(frozen=True, slots=True)
class Locality:
    """业务属地: the household-registration county (and township when known). Never the ID prefix."""

    county: str
    township: str | None


def locality_of(hukou_region: str) -> Locality:
    region = parse_region(hukou_region)
    return Locality(county=region.county, township=region.township)


def scope_of(accepting_region: str, hukou_region: str) -> Scope:
    return scope_between(accepting_region, hukou_region)


def province_of(region: str) -> str:
    """The 2-digit province code, the key of a province system."""
    return region[:2]


def exchange_application_id(province: str, external_id: str) -> uuid.UUID:
    return uuid.uuid5(EXCHANGE_NAMESPACE, f"{province}:{external_id}")


def push_due(materials_complete: date) -> date:
    return add_workdays(materials_complete, PUSH_WORKDAYS)


def decision_due(received: date) -> date:
    return add_workdays(received, DECISION_WORKDAYS)


def notify_due(result_returned: date) -> date:
    return add_workdays(result_returned, NOTIFY_WORKDAYS)


class ClockState(enum.StrEnum):
    NOT_STARTED = "not_started"  # its step has not begun (no due date yet)
    ON_TIME = "on_time"
    AT_RISK = "at_risk"  # one working day or less left
    BREACHED = "breached"
    STOPPED = "stopped"  # the application was withdrawn before the clock ran out
    EXTERNAL = "external"  # kept by another province's system (it notifies its own applicant)


@dataclass(frozen=True, slots=True)
class Clock:
    name: str
    due: date | None
    done_on: date | None
    state: ClockState

    @property
    def met(self) -> bool:
        return self.due is not None and self.done_on is not None and self.done_on <= self.due


def clock(
    name: str,
    due: date | None,
    done_on: date | None,
    today: date,
    *,
    withdrawn_on: date | None = None,
    external: bool = False,
) -> Clock:
    """How one clock stands today; a withdrawal stops an open clock, breached only if already overdue."""
    if due is None:
        return Clock(name, None, done_on, ClockState.NOT_STARTED)
    if external:
        return Clock(name, due, done_on, ClockState.EXTERNAL)
    if done_on is None and withdrawn_on is not None:
        stopped_on = min(today, withdrawn_on)
        state = ClockState.BREACHED if stopped_on > due else ClockState.STOPPED
        return Clock(name, due, None, state)
    status = deadline_state(name, due, done_on, today)
    return Clock(name, due, done_on, ClockState(status.state.value))


@dataclass(frozen=True, slots=True)
class CaseDates:
    """The dates (China time) a case's clocks are computed from."""

    push_due: date
    pushed_on: date | None
    decision_due: date | None
    decided_on: date | None
    notify_due: date | None
    notified_on: date | None
    withdrawn_on: date | None
    # A case accepted by a province system: that province tells its applicant, not our window.
    notified_elsewhere: bool = False


def clocks(dates: CaseDates, today: date) -> list[Clock]:
    stop = dates.withdrawn_on
    return [
        clock("push", dates.push_due, dates.pushed_on, today, withdrawn_on=stop),
        clock("decision", dates.decision_due, dates.decided_on, today, withdrawn_on=stop),
        clock(
            "notify", dates.notify_due, dates.notified_on, today, withdrawn_on=stop, external=dates.notified_elsewhere
        ),
    ]


class Delivery(enum.StrEnum):
    """What a province system's answer means for a push."""

    ACKNOWLEDGED = "acknowledged"
    RETRY = "retry"
    REJECTED = "rejected"


def delivery_of(status_code: int) -> Delivery:
    """Only a 2xx acknowledges; 408, 429 and 5xx are transient; any other 4xx refuses the push for good."""
    if 200 <= status_code < 300:
        return Delivery.ACKNOWLEDGED
    if 400 <= status_code < 500 and status_code not in (408, 429):
        return Delivery.REJECTED
    # 5xx, 408, 429 — and 1xx/3xx, which no system should answer: a retry can only help.
    return Delivery.RETRY


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff after `attempts` failed tries: base, 2·base, 4·base … up to `cap`."""
    exponent = min(max(attempts - 1, 0), 30)  # bounded: 2**1000 would overflow a float
    return float(min(cap, base * 2**exponent))
