"""The full picture of one application: timeline, deadlines with their state, decision, materials."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.events import SubsidyOutcome
from subsidy_shared.workdays import DeadlineStatus, add_workdays, china_date, deadline_state

from intake_service import repository, requirements
from intake_service.models import Application
from intake_service.schemas import (
    ApplicationDetail,
    DeadlineRead,
    DecisionRead,
    MaterialItemRead,
    MaterialRead,
    StepRead,
)
from intake_service.service import to_read

PUSH_WORKDAYS = 3  # 材料收齐之日起3个工作日内推送 (routing keeps the authoritative clock)


def _done(moment: datetime | None) -> date | None:
    return china_date(moment) if moment else None


def deadlines(application: Application, today: date) -> list[DeadlineStatus]:
    """The clocks this window can see; a withdrawn application's open clocks stop where they were."""
    found: list[DeadlineStatus] = []
    if application.withdrawn_at is not None:
        today = min(today, china_date(application.withdrawn_at))
    if application.materials_complete_at is not None:
        due = add_workdays(china_date(application.materials_complete_at), PUSH_WORKDAYS)
        found.append(deadline_state("push", due, _done(application.pushed_at), today))
    if application.decision_due is not None:
        found.append(deadline_state("decision", application.decision_due, _done(application.decided_at), today))
    if application.notify_due is not None:
        found.append(deadline_state("notify", application.notify_due, _done(application.notified_at), today))
    return found


async def detail(session: AsyncSession, application: Application, now: datetime) -> ApplicationDetail:
    materials = await repository.materials_for(session, application.id)
    proxy = application.agent is not None
    told = {
        item.kind: item
        for item in await requirements.checklist(
            session, application.hukou_region, application.subsidies, proxy, china_date(application.submitted_at)
        )
    }
    decision = None
    if application.result_returned_at is not None:
        decision = DecisionRead(
            decided_at=application.decided_at,
            returned_at=application.result_returned_at,
            outcomes=[SubsidyOutcome.model_validate(o) for o in application.outcomes or []],
        )
    return ApplicationDetail(
        **to_read(application, [m.kind for m in materials]).model_dump(),
        required_materials=[
            MaterialItemRead(
                kind=kind,
                label=told[kind].label if kind in told else kind,
                basis=told[kind].basis if kind in told else "as told",
            )
            for kind in application.required_materials
        ],
        materials=[MaterialRead.model_validate(m) for m in materials],
        locality_county=application.locality_county,
        deadlines=[
            DeadlineRead(name=d.name, due=d.due, done_on=d.done_on, state=d.state, met=d.met)
            for d in deadlines(application, china_date(now))
        ],
        decision=decision,
        timeline=[
            StepRead(step=s.step, at=s.at, actor=s.actor, actor_role=s.actor_role, detail=s.detail)
            for s in await repository.steps_for(session, application.id)
        ],
    )
