"""一次性告知: the checklist for a hukou locality, and the local rules a provincial admin keeps."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit
from subsidy_shared.auth import Principal, Role, require_region, require_role
from subsidy_shared.errors import Conflict, NotFound, Unprocessable

from intake_service import repository, rules
from intake_service.models import MaterialRule
from intake_service.schemas import MaterialRuleCreate


def _local(rule: MaterialRule) -> rules.LocalRule:
    return rules.LocalRule(
        rule_id=str(rule.id),
        region=rule.region,
        kind=rule.kind,
        label=rule.label,
        subsidy=rule.subsidy,
        proxy_only=rule.proxy_only,
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
    )


async def checklist(
    session: AsyncSession, hukou_region: str, subsidies: Iterable[str], proxy: bool, on: date
) -> list[rules.MaterialItem]:
    """What the hukou locality requires on `on`: the national list plus its own additions."""
    local = [_local(r) for r in await repository.rules_for_region(session, hukou_region)]
    return rules.checklist(hukou_region, subsidies, proxy, on, local)


async def add_rule(
    session: AsyncSession, principal: Principal, body: MaterialRuleCreate, now: datetime
) -> MaterialRule:
    require_role(principal, Role.PROVINCIAL_ADMIN)
    require_region(principal, body.region.ljust(6, "0"))
    if body.kind in {item.kind for item in rules.NATIONAL_MATERIALS + rules.PROXY_MATERIALS}:
        raise Unprocessable.at(("body", "kind"), "this material is already on the national list")
    rule = MaterialRule(id=uuid.uuid4(), created_by=principal.sub, created_at=now, **body.model_dump())
    await repository.add_rule(session, rule)
    await audit.record(
        session, principal, "material_rule.add", "material_rule", str(rule.id), after=body.model_dump(mode="json")
    )
    return rule


async def end_rule(session: AsyncSession, principal: Principal, rule_id: uuid.UUID, effective_to: date) -> MaterialRule:
    """Rules are never deleted (a past checklist must stay explainable); they end on a date."""
    require_role(principal, Role.PROVINCIAL_ADMIN)
    rule = await repository.get_rule(session, rule_id)
    missing = f"no material rule {rule_id}"
    if rule is None:
        raise NotFound(missing)
    require_region(principal, rule.region.ljust(6, "0"), not_found=missing)
    if effective_to <= rule.effective_from:
        raise Unprocessable.at(("body", "effective_to"), "a rule ends after it starts")
    if rule.effective_to is not None and rule.effective_to < effective_to:
        raise Conflict("the rule already ends earlier; add a new rule instead of extending it")
    before = {"effective_to": rule.effective_to.isoformat() if rule.effective_to else None}
    rule.effective_to = effective_to
    await audit.record(
        session,
        principal,
        "material_rule.end",
        "material_rule",
        str(rule.id),
        before=before,
        after={"effective_to": effective_to.isoformat()},
    )
    return rule


async def list_rules(session: AsyncSession, principal: Principal, on: date | None) -> list[MaterialRule]:
    require_role(principal, Role.PROVINCIAL_ADMIN, Role.AUDITOR, Role.OPS)
    return await repository.list_rules(session, principal.region_prefix, on)
