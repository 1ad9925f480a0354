"""How a case is shown: its clocks evaluated on a given China date, personal data masked in lists."""

from __future__ import annotations

from datetime import date, datetime

from subsidy_shared.events import SubsidyOutcome
from subsidy_shared.ids import mask_id_number, mask_name
from subsidy_shared.workdays import china_date

from routing_service import rules
from routing_service.models import Case
from routing_service.schemas import CaseRead, DeadlineRead, DeliveryRead, OverdueCase


def _on(moment: datetime | None) -> date | None:
    return china_date(moment) if moment is not None else None


def case_clocks(case: Case, today: date) -> list[rules.Clock]:
    dates = rules.CaseDates(
        push_due=case.push_due,
        pushed_on=_on(case.pushed_at),
        decision_due=case.decision_due,
        decided_on=_on(case.decided_at),
        notify_due=case.notify_due,
        notified_on=_on(case.notified_at),
        withdrawn_on=_on(case.withdrawn_at),
        notified_elsewhere=case.origin_system is not None,
    )
    return rules.clocks(dates, today)


def _deadlines(clocks: list[rules.Clock]) -> list[DeadlineRead]:
    return [
        DeadlineRead.model_validate(
            {"name": c.name, "due": c.due, "done_on": c.done_on, "state": c.state, "met": c.met}
        )
        for c in clocks
    ]


def _delivery(case: Case) -> DeliveryRead | None:
    if case.external_system is None and case.origin_system is None:
        return None
    return DeliveryRead(attempts=case.push_attempts, next_attempt_at=case.next_push_at, last_error=case.last_push_error)


def case_read(case: Case, today: date) -> CaseRead:
    return CaseRead.model_validate(
        {
            **{column.key: getattr(case, column.key) for column in Case.__table__.columns},
            "outcomes": [SubsidyOutcome.model_validate(o) for o in case.outcomes] if case.outcomes else None,
            "delivery": _delivery(case),
            "deadlines": _deadlines(case_clocks(case, today)),
        }
    )


def overdue_item(case: Case, overdue_since: date, today: date) -> OverdueCase:
    clocks = case_clocks(case, today)
    applicant = case.application.get("applicant", {})
    return OverdueCase.model_validate(
        {
            "application_id": case.application_id,
            "status": case.status,
            "scope": case.scope,
            "accepting_region": case.accepting_region,
            "locality_county": case.locality_county,
            "applicant_name": mask_name(applicant.get("name", "")),
            "applicant_id_number": mask_id_number(applicant.get("id_number", "")),
            "overdue_since": overdue_since,
            "breached": [c.name for c in clocks if c.state is rules.ClockState.BREACHED],
            "deadlines": _deadlines(clocks),
        }
    )
