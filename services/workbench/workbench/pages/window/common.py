"""What the window's pages share: their words, the API helpers, the problem+json → form mapping, regions in words."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from subsidy_shared.regions import InvalidRegion, parse_region

from workbench.api import Api, Problem
from workbench.messages import zh
from workbench.session import User
from workbench.templating import CHINA
from workbench.templating import render as _render

SUBSIDIES = ("living", "nursing")
STATUS_NAMES = {
    "materials_pending": "待补材料",
    "complete": "材料已齐",
    "pushed": "已推送户籍地",
    "decided": "已出结果，待告知",
    "notified": "已告知申请人",
    "withdrawn": "已撤回",
}
WINDOW_CLOCK_NAMES = {
    "push": "推送户籍地（材料收齐后3个工作日）",
    "decision": "户籍地认定（收到后10个工作日）",
    "notify": "告知申请人（结果返回后3个工作日）",
}
STEP_NAMES = {
    "received": "受理",
    "material_added": "收到材料",
    "complete": "材料收齐",
    "pushed": "推送户籍地",
    "decided": "办理结果返回",
    "notified": "已告知申请人",
    "withdrawn": "撤回申请",
    "deadline_breached": "超过时限",
    "payment_failed": "发放失败",
}
CHANNEL_NAMES = {"sms": "短信", "phone": "电话", "in_person": "当面告知", "letter": "书面信函"}
RELATION_NAMES = {"guardian": "监护人", "family": "家庭成员", "village_committee": "村（居）委会", "other": "其他"}
GENERAL = "_"  # an error of the whole form (no field to link to)
LIST_PAGE = 50  # rows a list page shows at most
API_PAGE = 100  # applications asked of intake at a time
API_PAGES = 5  # pages read at most to fill one filtered list page
LOOKUP_DETAILS = 10  # applications of one person shown with their decision


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    return _render(request, name, status_code=status_code, **context)


def api_of(request: Request) -> Api:
    api: Api = request.app.state.api
    return api


async def gather(*calls: Awaitable[Any]) -> list[Any]:
    """Independent API calls at once; then the first failure (in the order given) is raised as it is.

    Every call is let finish rather than cancelled: a request cut off half-way helps no one, and the answer
    a page fails with does not depend on which call happened to fail first.
    """
    answers = await asyncio.gather(*calls, return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return list(answers)


async def unless_missing(call: Awaitable[Any]) -> Any:
    """The answer, or None when the service has no such thing (404) — e.g. a case not yet routed."""
    try:
        return await call
    except Problem as problem:
        if problem.status == 404:
            return None
        raise


def form_errors(problem: Problem, fields: Iterable[str]) -> dict[str, str]:
    """Each field's message from problem+json `errors[].loc`, in the form's order; the rest under GENERAL."""
    known = list(fields)
    found: dict[str, str] = {}
    for error in problem.errors:
        loc = [str(part) for part in error.get("loc", []) if part not in ("body", "query", "path")]
        name = next((".".join(loc[:size]) for size in range(len(loc), 0, -1) if ".".join(loc[:size]) in known), "")
        message = str(error.get("msg", ""))
        if not name:  # a check of the whole body: its message says which field it is about
            lowered = message.lower()
            if "certificate_number" in lowered and "certificate_number" in known:
                name = "certificate_number"
            elif "agent" in lowered and "agent.id_number" in known:
                name = "agent.id_number"
            else:
                name = GENERAL
        found.setdefault(name, zh(message, name))
    if not found:
        found[GENERAL] = zh(problem.detail or problem.title)
    order = {name: index for index, name in enumerate(known)}
    return dict(sorted(found.items(), key=lambda item: order.get(item[0], -1)))


def month_words(month: str | None) -> str:
    """2026-10 → 2026年10月."""
    if not month or len(month) != 7:
        return month or ""
    return f"{month[:4]}年{int(month[5:]):d}月"


def size_words(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(size / 1024, 0.1):.1f} KB"


# ---- regions in words (GB/T 2260) -------------------------------------------------------------------

_SUMMARY_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def region_name(code: str | None) -> str:
    """四川省 成都市 锦江区 for 510104 or 510104001 (the township's own name is not in GB/T 2260)."""
    if not code:
        return ""
    try:
        parse_region(code)
    except InvalidRegion:
        return code
    names: list[str] = []
    for part in (code[:2] + "0000", code[:4] + "00", code[:6]):
        try:
            name = parse_region(part).name
        except InvalidRegion:
            continue
        if name not in names and name not in _SUMMARY_NAMES:
            names.append(name)
    return " ".join(names)


def region_words(code: str | None) -> str:
    """The name and, for a township, its code: 四川省 成都市 锦江区 · 乡镇（街道）510104001."""
    if not code:
        return ""
    name = region_name(code)
    return f"{name} · 乡镇（街道）{code}" if len(code) >= 9 else f"{name}（{code}）"


def office_words(user: User) -> str:
    """The office a document is issued by: the caller's own region."""
    return f"{region_name(user.region)} 受理窗口（{user.region}）"


# ---- one application's parts (its page and its print views) ----------------------------------------


def clocks_of(detail: Mapping[str, Any], case: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Routing keeps the authoritative clocks once it has the case; before that, intake's view."""
    found = {str(d["name"]): dict(d) for d in (case or {}).get("deadlines") or detail.get("deadlines") or []}
    return [found[name] for name in WINDOW_CLOCK_NAMES if name in found]


def material_labels(detail: Mapping[str, Any]) -> dict[str, str]:
    labels = {str(item["kind"]): str(item["label"]) for item in detail.get("required_materials", [])}
    return {**labels, "other": labels.get("other", "其他材料")}


def today() -> date:
    return datetime.now(CHINA).date()
