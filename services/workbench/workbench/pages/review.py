"""审核 / 核实 / 审定: the worklist per step with its counts, the case page (materials inline, the registry facts,
the pre-check's rules in words, the action form) and bulk approval. Every rule stays in the eligibility service:
these handlers gather its answers (and intake's materials), render them, and show its refusals at the field."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from workbench import rules_words
from workbench.api import SERVICE_NAMES, Api, Problem, ServiceDown
from workbench.messages import field_messages
from workbench.session import CsrfChecked, CurrentUser, User
from workbench.templating import render

router = APIRouter()

STEPS = ("township_review", "county_verification", "county_approval")
ACTION_OF_STEP = {"township_review": "review", "county_verification": "verify", "county_approval": "approve"}
ACTIONS = frozenset(ACTION_OF_STEP.values())
ACTOR_OF_STEP = {
    "township_review": "township_reviewer",
    "county_verification": "county_disability_federation",
    "county_approval": "county_civil_affairs",
}
STEP_OF_ROLE = {role: step for step, role in ACTOR_OF_STEP.items()}
OUTCOMES = {"pass": "pass", "fail": "reject"}  # the form's words → the API's
SUBSIDIES = ("living", "nursing")
PAGE_SIZE = 50
NOT_FOUND = "没有此案件，或案件不在您的辖区内。"


def _api(request: Request) -> Api:
    api: Api = request.app.state.api
    return api


def _case_id(raw: str) -> str:
    """A path id the API can be asked about; anything else is the same 404 as an unknown case."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise Problem(404, "Not found", NOT_FOUND) from None


async def _all(*calls: Awaitable[Any]) -> list[Any]:
    """The answers of independent calls made at once; the first refusal is raised once every call is done
    (none is left running after the page has answered)."""
    answers = await asyncio.gather(*calls, return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return answers


def _filter_errors(problem: Problem) -> dict[str, str]:
    """A refused filter: the service's message at the region field (its 422 names the field; a 403 does not)."""
    found = field_messages(problem)
    if not found or set(found) == {"_"}:
        return {"region": problem.detail or problem.title}
    return {("region" if name == "_" else name): message for name, message in found.items()}


# ---- the worklist -----------------------------------------------------------------------------------


@router.get("/review/worklist")
async def worklist(request: Request, user: CurrentUser, step: str = "", region: str = "", cursor: str = "") -> Response:
    """Counts per step first, then the chosen step's cases (soonest decision first); filters stay in the URL."""
    return await _worklist(request, user, step, region, cursor)


async def _worklist(
    request: Request,
    user: User,
    step: str,
    region: str,
    cursor: str,
    *,
    errors: dict[str, str] | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    chosen = step if step in STEPS else STEP_OF_ROLE.get(user.role.value, STEPS[0])
    area = region.strip() or None
    api = _api(request)
    errors = dict(errors or {})
    counts: list[dict[str, Any]] = []
    listing: dict[str, Any] = {"items": [], "next_cursor": None}
    try:
        counted, listing = await _all(
            api.get(user, "eligibility", "/v1/cases/counts", region=area),
            api.get(user, "eligibility", "/v1/cases", region=area, step=chosen, limit=PAGE_SIZE, cursor=cursor or None),
        )
        counts = [{"step": s, "name": rules_words.STEP_NAMES[s], "count": counted["counts"][s]} for s in STEPS]
    except Problem as problem:
        if problem.status not in (403, 422) or (area is None and not cursor):
            raise
        errors.update(_filter_errors(problem))
        status_code = max(status_code, problem.status)
    return render(
        request,
        "review/worklist.html",
        status_code=status_code,
        step=chosen,
        step_name=rules_words.STEP_NAMES[chosen],
        region=region.strip(),
        cursor=cursor,
        counts=counts,
        items=listing["items"],
        next_cursor=listing.get("next_cursor"),
        bulk=chosen == "county_approval" and user.role.value == ACTOR_OF_STEP["county_approval"],
        errors=errors,
        reason=reason,
        words=rules_words,
    )


# ---- one case -----------------------------------------------------------------------------------


async def _optional(call: Awaitable[Any], what: str) -> tuple[Any, str | None]:
    """A part of the page that may be missing without the rest failing: (answer, None) or (None, why)."""
    try:
        return await call, None
    except ServiceDown as down:
        name = SERVICE_NAMES.get(down.service, down.service)
        return None, f"{name}暂时无法使用，{what}暂不能显示；其余内容不受影响。"
    except Problem as problem:
        if problem.status == 404:
            return None, f"受理系统中没有此申请的{what}（例如由外省自建系统受理的案件）。"
        return None, f"{what}不能显示：{problem.detail or problem.title}"


def _material_view(case_id: str, material: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    content_type = str(material.get("content_type", ""))
    shown = "pdf" if content_type == "application/pdf" else "image" if content_type.startswith("image/") else "file"
    return {
        **material,
        "label": labels.get(material["kind"], material["kind"]),
        "url": f"/review/cases/{case_id}/materials/{material['id']}",
        "shown": shown,
    }


async def _case_page(
    request: Request,
    user: User,
    case_id: str,
    *,
    done: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    api = _api(request)
    case, (application, materials_note) = await _all(
        api.get(user, "eligibility", f"/v1/cases/{case_id}"),
        _optional(api.get(user, "intake", f"/v1/applications/{case_id}"), "电子材料"),
    )
    labels = {item["kind"]: item["label"] for item in (application or {}).get("required_materials", [])}
    materials = [_material_view(case_id, m, labels) for m in (application or {}).get("materials", [])]
    missing = [labels.get(kind, kind) for kind in (application or {}).get("missing_materials", [])]
    precheck = case.get("precheck") or {}
    recommendations = precheck.get("recommendations") or []
    step = case["step"]
    action = ACTION_OF_STEP.get(step)
    return render(
        request,
        "review/case.html",
        status_code=status_code,
        case=case,
        application=application,
        materials=materials,
        materials_note=materials_note,
        missing=missing,
        precheck=precheck,
        recommendations=recommendations,
        facts=rules_words.facts_rows(rules_words.merged_facts(recommendations)),
        policy_missing=case.get("policy_state") == "none_in_force",
        action=action,
        can_act=action is not None and user.role.value == ACTOR_OF_STEP[step],
        actor_name=rules_words.STEP_NAMES.get(step, step),
        actor_role=ACTOR_OF_STEP.get(step, ""),
        # 审定 chooses per subsidy; a delegated township review that decides asks for it in its refusal.
        choose_subsidies=step == "county_approval" or any(name.startswith("subsidies") for name in errors or {}),
        done=done if done in ACTIONS else "",
        errors=errors or {},
        values=values or {},
        words=rules_words,
    )


@router.get("/review/cases/{case_id}")
async def case_page(request: Request, user: CurrentUser, case_id: str, done: str = "") -> Response:
    return await _case_page(request, user, _case_id(case_id), done=done)


@router.get("/review/cases/{case_id}/materials/{material_id}")
async def material(request: Request, user: CurrentUser, case_id: str, material_id: str) -> Response:
    """The file from intake, read with the reviewer's token (intake audits the download); never cached."""
    application_id, file_id = _case_id(case_id), _case_id(material_id)
    answer = await _api(request).send(user, "intake", "GET", f"/v1/applications/{application_id}/materials/{file_id}")
    return Response(
        content=answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
        },
    )


def _action_body(form: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the API body, what the form had — to show again): outcome pass|fail, reason, each subsidy's choice."""
    outcome = str(form.get("outcome") or "")
    reason = str(form.get("reason") or "")
    choices = {s: str(form.get(f"subsidies.{s}") or "") for s in SUBSIDIES}
    body: dict[str, Any] = {}
    if outcome:
        body["outcome"] = OUTCOMES.get(outcome, outcome)
    if reason.strip():
        body["reason"] = reason.strip()
    chosen = {s: v for s, v in choices.items() if v}
    if chosen:
        body["subsidies"] = chosen
    values = {"outcome": outcome, "reason": reason, **{f"subsidies.{s}": v for s, v in choices.items()}}
    return body, values


@router.post("/review/cases/{case_id}/{action}")
async def act(request: Request, user: CurrentUser, _: CsrfChecked, case_id: str, action: str) -> Response:
    """审核 (review), 核实 (verify) or 审定 (approve): the service checks role, area, step and reasons."""
    application_id = _case_id(case_id)
    if action not in ACTIONS:
        raise Problem(404, "Not found", "没有此操作。")
    body, values = _action_body(await request.form())
    try:
        await _api(request).post(user, "eligibility", f"/v1/cases/{application_id}/{action}", body)
    except Problem as problem:
        if problem.status not in (409, 422):
            raise
        errors = {("action" if name == "_" else name): message for name, message in field_messages(problem).items()}
        return await _case_page(
            request,
            user,
            application_id,
            errors=errors or {"action": problem.detail or problem.title},
            values=values,
            status_code=problem.status,
        )
    return RedirectResponse(f"/review/cases/{application_id}?done={action}", status_code=303)


# ---- bulk approval ------------------------------------------------------------------------------


@router.post("/review/approvals")
async def approve_many(request: Request, user: CurrentUser, _: CsrfChecked) -> Response:
    """批量审定: the chosen cases approved as recommended; each approved or skipped on its own, with why."""
    form = await request.form()
    ids = [str(value) for value in form.getlist("application_ids")]
    reason = str(form.get("reason") or "")
    region = str(form.get("region") or "")
    body: dict[str, Any] = {"application_ids": ids}
    if reason.strip():
        body["reason"] = reason.strip()
    try:
        answer = await _api(request).post(user, "eligibility", "/v1/cases/approvals", body)
    except Problem as problem:
        if problem.status != 422:
            raise
        errors = {
            ("application_ids" if name.startswith("application_ids") or name == "_" else name): message
            for name, message in field_messages(problem).items()
        } or {"application_ids": problem.detail}
        return await _worklist(
            request, user, "county_approval", region, "", errors=errors, reason=reason, status_code=422
        )
    results = [
        {**result, "label": str(form.get(f"label.{result['application_id']}") or "")} for result in answer["results"]
    ]
    return render(
        request,
        "review/approvals.html",
        results=results,
        approved=sum(1 for r in results if r["result"] == "approved"),
        skipped=sum(1 for r in results if r["result"] != "approved"),
        region=region,
        words=rules_words,
    )
