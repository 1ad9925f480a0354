"""The start page: what the signed-in official can do, by role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from workbench.session import CurrentUser
from workbench.templating import render

router = APIRouter()


@router.get("/")
async def home(request: Request, user: CurrentUser) -> Response:
    return render(request, "home.html")
