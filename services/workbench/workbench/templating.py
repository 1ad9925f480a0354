"""Jinja2 templates with the workbench's filters: 元 from 分, China time, masked personal data."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse
from subsidy_shared.money import yuan

from workbench.rules_words import region_label
from workbench.session import csrf_token, signed_in

CHINA = ZoneInfo("Asia/Shanghai")
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

ROLE_NAMES = {
    "window_clerk": "受理窗口",
    "township_reviewer": "乡镇（街道）审核",
    "county_disability_federation": "县级残联",
    "county_civil_affairs": "县级民政",
    "provincial_admin": "省级管理",
    "auditor": "审计",
    "ops": "运维",
    "province_system": "外省系统",
}
SUBSIDY_NAMES = {"living": "困难残疾人生活补贴", "nursing": "重度残疾人护理补贴"}


def china_time(value: str | datetime | None, with_time: bool = True) -> str:
    """An instant (ISO text or datetime) as a Beijing date and time."""
    if value in (None, ""):
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    local = moment.astimezone(CHINA)
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def china_date(value: str | date | None) -> str:
    if value in (None, ""):
        return ""
    return value if isinstance(value, str) and len(value) == 10 else china_time(value, with_time=False)  # type: ignore[arg-type]


def money(fen: int | None) -> str:
    return "" if fen is None else f"{yuan(int(fen))} 元"


templates.env.filters["yuan"] = money
templates.env.filters["china_time"] = china_time
templates.env.filters["china_date"] = china_date
templates.env.filters["region_label"] = region_label  # 南岗区（230103）
templates.env.globals["ROLE_NAMES"] = ROLE_NAMES
templates.env.globals["SUBSIDY_NAMES"] = SUBSIDY_NAMES


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """One page: the signed-in user, the form token and the page's own context."""
    context = {"user": signed_in(request), "csrf": csrf_token(request), **context}
    return templates.TemplateResponse(request, name, context, status_code=status_code)
