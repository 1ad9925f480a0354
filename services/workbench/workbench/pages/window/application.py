"""One application at the window: its status, timeline and clocks, the materials upload, 记录已告知."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from workbench.api import Api, Problem
from workbench.messages import zh
from workbench.pages.window.common import (
    CHANNEL_NAMES,
    GENERAL,
    WINDOW_CLOCK_NAMES,
    api_of,
    clocks_of,
    form_errors,
    gather,
    material_labels,
    month_words,
    region_name,
    region_words,
    render,
    unless_missing,
)
from workbench.rules_words import SCOPE_NAMES
from workbench.session import CsrfChecked, CurrentUser, User
from workbench.templating import CHINA, SUBSIDY_NAMES, templates

router = APIRouter()


def step_words(step: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """What a timeline entry's detail says, in words."""
    detail = step.get("detail") or {}
    name = step.get("step")
    if name == "received":
        told = len(detail.get("required_materials", []))
        return f"受理窗口 {region_words(detail.get('accepting_region'))}；一次性告知材料 {told} 项"
    if name == "material_added":
        return labels.get(str(detail.get("kind")), str(detail.get("kind", "")))
    if name == "pushed":
        words = f"业务属地 {region_name(detail.get('locality_county'))}"
        if detail.get("scope"):
            words += f" · {SCOPE_NAMES.get(str(detail['scope']), str(detail['scope']))}"
        if detail.get("decision_due"):
            words += f" · 认定期限 {detail['decision_due']}"
        return words
    if name == "decided":
        approved = "、".join(SUBSIDY_NAMES.get(s, s) for s in detail.get("approved", []))
        refused = "、".join(SUBSIDY_NAMES.get(s, s) for s in detail.get("refused", []))
        parts = ([f"批准：{approved}"] if approved else []) + ([f"不予批准：{refused}"] if refused else [])
        return "；".join(parts) + (f"；请于 {detail['notify_due']} 前告知申请人" if detail.get("notify_due") else "")
    if name == "notified":
        return CHANNEL_NAMES.get(str(detail.get("channel")), str(detail.get("channel", "")))
    if name == "withdrawn":
        return str(detail.get("reason", ""))
    if name == "deadline_breached":
        clock = WINDOW_CLOCK_NAMES.get(str(detail.get("deadline")), str(detail.get("deadline", "")))
        return f"{clock} · 应于 {detail.get('due_date', '')}"
    if name == "payment_failed":
        amount = detail.get("amount_fen")
        money = templates.env.filters["yuan"](amount) if amount is not None else ""
        subsidy = SUBSIDY_NAMES.get(str(detail.get("subsidy")), str(detail.get("subsidy", "")))
        return f"{subsidy} {month_words(detail.get('month'))} {money}：{detail.get('reason', '')}（请核对银行账户）"
    return ""


async def _application(request: Request, user: User, application_id: uuid.UUID) -> tuple[Any, Any]:
    """Intake's application and routing's case (None until routed), at once."""
    api = api_of(request)
    detail, case = await gather(
        api.get(user, "intake", f"/v1/applications/{application_id}"),
        unless_missing(api.get(user, "routing", f"/v1/cases/{application_id}")),
    )
    return detail, case


def _application_page(
    request: Request,
    detail: Any,
    case: Any,
    *,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
    values: Mapping[str, Any] | None = None,
) -> Response:
    params = request.query_params
    return render(
        request,
        "window/application.html",
        status_code=status,
        app=detail,
        case=case,
        clocks=clocks_of(detail, case),
        labels=material_labels(detail),
        errors=errors or {},
        values=values or {},
        uploaded=params.get("uploaded", ""),
        notified=params.get("notified", ""),
        channels=CHANNEL_NAMES,
    )


@router.get("/window/applications/{application_id}")
async def application_page(request: Request, application_id: uuid.UUID, user: CurrentUser) -> Response:
    detail, case = await _application(request, user, application_id)
    return _application_page(request, detail, case)


async def _upload(api: Api, user: User, application_id: uuid.UUID, kind: str, upload: UploadFile) -> Any:
    content = await upload.read()
    files = {"file": (upload.filename or f"{kind}.pdf", content, upload.content_type or "application/octet-stream")}
    response = await api.send(
        user, "intake", "POST", f"/v1/applications/{application_id}/materials", data={"kind": kind}, files=files
    )
    return response.json()


def _uploads(form: FormData) -> list[tuple[str, UploadFile]]:
    """Every chosen file of the form: (kind, file), from the inputs `file.<kind>` (several files each)."""
    found: list[tuple[str, UploadFile]] = []
    for name, value in form.multi_items():
        if name.startswith("file.") and isinstance(value, UploadFile) and (value.filename or value.size):
            found.append((name.removeprefix("file."), value))
    return found


@router.post("/window/applications/{application_id}/materials")
async def upload_materials(request: Request, application_id: uuid.UUID, user: CurrentUser, _: CsrfChecked) -> Response:
    """Several files in one go: each goes to intake as its own multipart upload."""
    form = await request.form()
    chosen = _uploads(form)
    api = api_of(request)
    if not chosen:
        detail, case = await _application(request, user, application_id)
        return _application_page(request, detail, case, errors={GENERAL: "请选择要上传的材料文件"}, status=422)
    errors: dict[str, str] = {}
    done = 0
    # One after another, in the form's order: intake takes each under the application's lock anyway, and so
    # the timeline lists them as handed in (材料收齐 after the last). A refused file does not stop the others.
    for kind, upload in chosen:
        try:
            await _upload(api, user, application_id, kind, upload)
        except Problem as problem:
            message = zh(next((str(e.get("msg", "")) for e in problem.errors), "") or problem.detail or problem.title)
            errors.setdefault(f"file.{kind}", f"{upload.filename}：{message}")
        else:
            done += 1
    if errors:
        detail, case = await _application(request, user, application_id)
        return _application_page(request, detail, case, errors=errors, status=422, values={"uploaded_now": done})
    return RedirectResponse(f"/window/applications/{application_id}?uploaded={done}", status_code=303)


def _notified_at(value: str) -> str | None:
    """A datetime-local value (Beijing time) as an instant; empty means now."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return value  # the service names what is wrong with it
    return (moment if moment.tzinfo else moment.replace(tzinfo=CHINA)).isoformat()


@router.post("/window/applications/{application_id}/notifications")
async def record_notification(
    request: Request,
    application_id: uuid.UUID,
    user: CurrentUser,
    _: CsrfChecked,
    channel: Annotated[str, Form()] = "",
    notified_at: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """记录已告知: how and when the applicant was told the result."""
    body: dict[str, Any] = {"channel": channel, "notified_at": _notified_at(notified_at), "note": note.strip() or None}
    try:
        await api_of(request).post(user, "intake", f"/v1/applications/{application_id}/notifications", body)
    except Problem as problem:
        if problem.status not in (409, 422):
            raise
        detail, case = await _application(request, user, application_id)
        errors = form_errors(problem, ("channel", "notified_at", "note"))
        values = {"channel": channel, "notified_at": notified_at, "note": note}
        return _application_page(request, detail, case, errors=errors, status=problem.status, values=values)
    return RedirectResponse(f"/window/applications/{application_id}?notified=1", status_code=303)
