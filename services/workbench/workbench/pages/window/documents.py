"""The documents a person takes home from the window (print views): 受理回执 and 决定通知书."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from workbench.pages.window.common import api_of, clocks_of, material_labels, office_words, render, today
from workbench.session import CurrentUser

router = APIRouter()


@router.get("/window/applications/{application_id}/receipt")
async def receipt(request: Request, application_id: uuid.UUID, user: CurrentUser) -> Response:
    """受理回执 (print view): what was handed in, what is still missing, what happens next."""
    detail = await api_of(request).get(user, "intake", f"/v1/applications/{application_id}")
    return render(
        request,
        "window/receipt.html",
        app=detail,
        labels=material_labels(detail),
        clocks=clocks_of(detail, None),
        office=office_words(user),
        today=today(),
    )


@router.get("/window/applications/{application_id}/notice")
async def notice(request: Request, application_id: uuid.UUID, user: CurrentUser) -> Response:
    """决定通知书 (print view): each subsidy's result, amount and first month, or the reasons for a refusal."""
    detail = await api_of(request).get(user, "intake", f"/v1/applications/{application_id}")
    if not detail.get("decision"):
        return render(
            request,
            "error.html",
            status_code=409,
            title="尚无办理结果",
            detail="户籍地的认定结果返回本窗口后才能打印决定通知书。",
        )
    return render(request, "window/notice.html", app=detail, office=office_words(user), today=today())
