"""Pure routing rules: where a case goes and when each step is due (working days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from subsidy_shared.regions import Scope, parse_region, scope_between
from subsidy_shared.workdays import add_workdays

PUSH_WORKDAYS = 3  # 材料收齐之日起3个工作日内推送
DECISION_WORKDAYS = 10  # 收到推送材料之日起10个工作日内完成认定
NOTIFY_WORKDAYS = 3  # 收到办理结果3个工作日内通知申请人


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


def push_due(materials_complete: date) -> date:
    return add_workdays(materials_complete, PUSH_WORKDAYS)


def decision_due(received: date) -> date:
    return add_workdays(received, DECISION_WORKDAYS)


def notify_due(result_returned: date) -> date:
    return add_workdays(result_returned, NOTIFY_WORKDAYS)
