"""查找 (any official): a person by ID number — sent in a POST body, never in a URL — and their applications.

Only what the caller's area holds: intake answers within the token's region (404 when it has none).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from subsidy_shared.ids import mask_id_number

from workbench.api import Problem
from workbench.messages import zh
from workbench.pages.window import LOOKUP_DETAILS, api_of, form_errors, gather, render
from workbench.session import CsrfChecked, CurrentUser, User

router = APIRouter()
REVIEWERS = {"township_reviewer", "county_disability_federation", "county_civil_affairs"}


def case_link(user: User, application_id: str) -> str | None:
    """Where this official opens an application: the window's page or the reviewer's case page."""
    role = user.role.value
    if role == "window_clerk":
        return f"/window/applications/{application_id}"
    if role in REVIEWERS:
        return f"/review/cases/{application_id}"
    return None


@router.get("/lookup")
async def lookup_page(request: Request, user: CurrentUser) -> Response:
    return render(request, "lookup.html", errors={}, found=None, values={})


@router.post("/lookup")
async def lookup(
    request: Request, user: CurrentUser, _: CsrfChecked, id_number: Annotated[str, Form()] = ""
) -> Response:
    """The person's applications in the caller's area, each with its decision (one person has few)."""
    api = api_of(request)
    wanted = id_number.strip()
    masked = mask_id_number(wanted.upper())
    typed = {"id_number": wanted}  # kept in the page (a POST answer), never in a URL
    try:
        found = await api.post(user, "intake", "/v1/persons/lookup", {"id_number": wanted})
    except Problem as problem:
        if problem.status == 404:
            return render(request, "lookup.html", status_code=404, errors={}, found=None, none_for=masked, values=typed)
        if problem.status not in (400, 403, 422):
            raise
        errors = form_errors(problem, ("id_number",))
        if "id_number" not in errors and problem.status == 422:
            errors = {"id_number": zh(problem.detail or problem.title)}
        return render(request, "lookup.html", status_code=problem.status, errors=errors, found=None, values=typed)
    applications: list[dict[str, Any]] = list(found.get("applications", []))
    applications.sort(key=lambda a: str(a.get("submitted_at", "")), reverse=True)
    shown = applications[:LOOKUP_DETAILS]
    details = await gather(*(api.get(user, "intake", f"/v1/applications/{a['id']}") for a in shown))
    rows = [
        {**application, "decision": detail.get("decision"), "link": case_link(user, str(application["id"]))}
        for application, detail in zip(shown, details, strict=True)
    ]
    return render(
        request,
        "lookup.html",
        errors={},
        found=found,
        rows=rows,
        more=len(applications) - len(shown),
        masked=masked,
        values=typed,
    )
