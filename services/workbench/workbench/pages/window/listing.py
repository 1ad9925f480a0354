"""This window's applications: filtered by status, worst clock and date handed in; the filters stay in the URL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

import workbench.pages.window as package
from workbench.api import Api
from workbench.pages.window.common import STATUS_NAMES, api_of, gather, render
from workbench.session import CurrentUser, User
from workbench.templating import CHINA

router = APIRouter()

# The worst state a case's clocks are in, for the list and its filter.
CLOCK_FILTERS = {"breached": "已超期", "at_risk": "临期", "on_time": "按时"}
_SEVERITY = {"breached": 3, "at_risk": 2, "on_time": 1}


def worst_clock(deadlines: Iterable[Mapping[str, Any]]) -> str | None:
    """The worst state among a case's clocks (breached, at risk, on time); None when none is running."""
    states = [str(d.get("state")) for d in deadlines if str(d.get("state")) in _SEVERITY]
    return max(states, key=_SEVERITY.__getitem__) if states else None


@dataclass(frozen=True)
class ListFilters:
    status: str
    clock: str
    since: date | None
    until: date | None

    @property
    def active(self) -> bool:
        return bool(self.status or self.clock or self.since or self.until)

    def query(self, cursor: str | None = None) -> list[tuple[str, str]]:
        pairs = [("status", self.status), ("clock", self.clock)]
        pairs += [
            ("from", self.since.isoformat() if self.since else ""),
            ("to", self.until.isoformat() if self.until else ""),
        ]
        return [(k, v) for k, v in pairs if v] + ([("cursor", cursor)] if cursor else [])


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _submitted_on(item: Mapping[str, Any]) -> date:
    return datetime.fromisoformat(str(item["submitted_at"])).astimezone(CHINA).date()


def _kept(item: Mapping[str, Any], user: User, filters: ListFilters) -> bool:
    """The filters the list API does not have: this window, date handed in (and status, which it also applies)."""
    if not str(item.get("accepting_region", "")).startswith(user.region):
        return False
    if filters.status and item.get("status") != filters.status:
        return False
    day = _submitted_on(item)
    return not ((filters.since and day < filters.since) or (filters.until and day > filters.until))


async def _with_clocks(api: Api, user: User, items: list[dict[str, Any]]) -> None:
    """Each item's worst clock: from the list when it carries deadlines, else from its detail (clock filter only)."""
    lacking = [item for item in items if "deadlines" not in item]
    if lacking:
        details = await gather(*(api.get(user, "intake", f"/v1/applications/{item['id']}") for item in lacking))
        for item, detail in zip(lacking, details, strict=True):
            item["deadlines"] = detail.get("deadlines", [])
    for item in items:
        item["clock"] = worst_clock(item.get("deadlines") or [])


@router.get("/window/applications")
async def applications_list(
    request: Request,
    user: CurrentUser,
    status: str = "",
    clock: str = "",
    since: Annotated[str, Query(alias="from")] = "",
    until: Annotated[str, Query(alias="to")] = "",
    cursor: str = "",
) -> Response:
    """本窗口的申请, oldest first as intake lists them; the filters stay in the URL."""
    filters = ListFilters(
        status if status in STATUS_NAMES else "", clock if clock in CLOCK_FILTERS else "", _day(since), _day(until)
    )
    # The page sizes are read from the package on each request: it is where they are set (a test shrinks them).
    list_page, api_page, api_pages = package.LIST_PAGE, package.API_PAGE, package.API_PAGES
    api = api_of(request)
    rows: list[dict[str, Any]] = []
    next_cursor: str | None = cursor or None
    for _ in range(api_pages):
        limit = api_page if filters.active else list_page
        page = await api.get(
            user, "intake", "/v1/applications", limit=limit, cursor=next_cursor, status=filters.status or None
        )
        items = [dict(item) for item in page.get("items", [])]
        kept = [item for item in items if _kept(item, user, filters)]
        if filters.clock:
            await _with_clocks(api, user, kept)
            kept = [item for item in kept if item["clock"] == filters.clock]
        elif any("deadlines" in item for item in kept):
            for item in kept:
                item["clock"] = worst_clock(item.get("deadlines") or [])
        rows.extend(kept)
        next_cursor = page.get("next_cursor")
        past_until = bool(filters.until and items and _submitted_on(items[-1]) > filters.until)
        if past_until:
            next_cursor = None
        if not next_cursor or len(rows) >= list_page or not filters.active:
            break
    return render(
        request,
        "window/list.html",
        rows=rows,
        filters=filters,
        next_query=filters.query(next_cursor) if next_cursor else None,
        first_query=filters.query() if cursor else None,
        statuses=STATUS_NAMES,
        clock_filters=CLOCK_FILTERS,
    )
