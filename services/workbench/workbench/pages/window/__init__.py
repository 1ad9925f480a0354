"""受理 (the window clerk): 一次性告知, the application form, materials, receipt, decision, notification, worklist.

Thin handlers: each gathers the API calls it needs (in parallel where they are independent) and renders one
template. Every rule stays in the services; the checks as you type run the same shared code the services run.
One module per job; `router` holds them all (the form's before the application's: /window/applications/new
is not an application id).
"""

from __future__ import annotations

from fastapi import APIRouter

from workbench.messages import zh
from workbench.pages.window import application, documents, form, listing, requirements
from workbench.pages.window.common import (
    API_PAGE,
    API_PAGES,
    CHANNEL_NAMES,
    LIST_PAGE,
    LOOKUP_DETAILS,
    RELATION_NAMES,
    STATUS_NAMES,
    STEP_NAMES,
    WINDOW_CLOCK_NAMES,
    api_of,
    form_errors,
    gather,
    month_words,
    region_name,
    region_words,
    render,
    size_words,
)
from workbench.rules_words import CLOCK_STATE_NAMES, OUTCOME_NAMES, SCOPE_NAMES, rule_words
from workbench.templating import china_time, templates

__all__ = [
    "API_PAGE",
    "API_PAGES",
    "LIST_PAGE",
    "LOOKUP_DETAILS",
    "api_of",
    "form_errors",
    "gather",
    "render",
    "router",
    "zh",
]

router = APIRouter()
for part in (form, requirements, application, documents, listing):
    router.include_router(part.router)

templates.env.globals.update(
    STATUS_NAMES=STATUS_NAMES,
    WINDOW_CLOCK_NAMES=WINDOW_CLOCK_NAMES,
    CLOCK_STATE_NAMES=CLOCK_STATE_NAMES,
    OUTCOME_NAMES=OUTCOME_NAMES,
    SCOPE_NAMES=SCOPE_NAMES,
    CHANNEL_NAMES=CHANNEL_NAMES,
    RELATION_NAMES=RELATION_NAMES,
    region_name=region_name,
    region_words=region_words,
    month_words=month_words,
    size_words=size_words,
    rule_words=rule_words,
    step_words=application.step_words,
    STEP_NAMES=STEP_NAMES,
    check_value=form.check_value,
    china_time=china_time,
)
