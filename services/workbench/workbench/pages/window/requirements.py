"""一次性告知: what to bring, asked by hukou region, subsidies and whether someone acts for the applicant; its print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from workbench.api import Problem
from workbench.pages.window.common import SUBSIDIES, api_of, form_errors, office_words, render
from workbench.pages.window.form import RegionPick, pick_region
from workbench.session import CurrentUser, User

router = APIRouter()


@dataclass(frozen=True)
class RequirementsAsk:
    pick: RegionPick
    subsidies: list[str]
    proxy: bool

    @property
    def query(self) -> list[tuple[str, str]]:
        pairs = [("hukou_region", self.pick.code)] + [("subsidies", s) for s in self.subsidies]
        return pairs + ([("proxy", "1")] if self.proxy else [])


def _requirements_ask(request: Request) -> RequirementsAsk:
    params = request.query_params
    pick = pick_region(params, follow_selects=params.get("action") == "region")
    asked = [s for s in params.getlist("subsidies") if s in SUBSIDIES]
    subsidies = asked if asked or "hukou_region" in params else list(SUBSIDIES)
    return RequirementsAsk(pick, subsidies, params.get("proxy") in ("1", "true", "on"))


async def _checklist(request: Request, user: User, ask: RequirementsAsk) -> tuple[Any, dict[str, str]]:
    if not ask.pick.code:
        params = request.query_params
        asked = params.get("action") != "region" and ("region_province" in params or "hukou_region" in params)
        return None, ({"hukou_region": "请选择到县（市、区），或填写户籍地代码"} if asked else {})
    try:
        answer = await api_of(request).get(
            user,
            "intake",
            "/v1/requirements",
            hukou_region=ask.pick.code,
            subsidies=ask.subsidies or list(SUBSIDIES),
            proxy=str(ask.proxy).lower(),
        )
    except Problem as problem:
        if problem.status != 422:
            raise
        return None, form_errors(problem, ("hukou_region", "subsidies", "proxy"))
    return answer, {}


@router.get("/window/requirements")
async def requirements_page(request: Request, user: CurrentUser) -> Response:
    ask = _requirements_ask(request)
    checklist, errors = await _checklist(request, user, ask)
    return render(
        request,
        "window/requirements.html",
        status_code=422 if errors else 200,
        ask=ask,
        checklist=checklist,
        errors=errors,
    )


@router.get("/window/requirements/print")
async def requirements_print(request: Request, user: CurrentUser) -> Response:
    ask = _requirements_ask(request)
    checklist, errors = await _checklist(request, user, ask)
    if checklist is None:
        return render(request, "window/requirements.html", status_code=422, ask=ask, checklist=None, errors=errors)
    return render(request, "window/requirements_print.html", ask=ask, checklist=checklist, office=office_words(user))
