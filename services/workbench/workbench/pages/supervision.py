"""监督: overdue cases by region, and the dashboard — the clocks (share met per clock and county, trend by week)
and applications received / decided / approved / refused by month, local vs 跨省通办 — as charts, as tables
and as CSV. The figures are the services' (routing's clocks, intake's counts); here they are only laid out."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from workbench import rules_words
from workbench.api import SERVICE_NAMES, Api, Problem, ServiceDown
from workbench.messages import field_messages, zh
from workbench.session import CurrentUser, User
from workbench.templating import CHINA, render

router = APIRouter()

CLOCKS = ("push", "decision", "notify")
SCOPES = ("local", "cross_county", "cross_city", "cross_province")
FIGURES = (("received", "受理"), ("decided", "办结"), ("approved", "批准"), ("refused", "不予批准"))
# The statistics APIs' query names → the dashboard form's fields (a refusal is shown at the field).
FIELDS = {"region": "region", "from_date": "from", "to_date": "to", "from_month": "from", "to_month": "to"}
OVERDUE_PAGE = 100
From = Annotated[str, Query(alias="from")]


def _api(request: Request) -> Api:
    api: Api = request.app.state.api
    return api


def _field_errors(problem: Problem) -> dict[str, str]:
    found = {FIELDS.get(name, name): message for name, message in field_messages(problem).items()}
    if "_" in found or not found:
        found.pop("_", None)
        found.setdefault("region", zh(problem.detail or problem.title))
    return found


# ---- overdue ----------------------------------------------------------------------------------


@router.get("/supervision/overdue")
async def overdue(request: Request, user: CurrentUser, region: str = "", cursor: str = "") -> Response:
    """Cases with a breached clock in the region (accepting or locality), oldest due date first; masked."""
    area = region.strip()
    errors: dict[str, str] = {}
    listing: dict[str, Any] = {"items": [], "next_cursor": None, "as_of": None, "region": area or user.region}
    status_code = 200
    try:
        listing = await _api(request).get(
            user, "routing", "/v1/cases/overdue", region=area or None, cursor=cursor or None, limit=OVERDUE_PAGE
        )
    except Problem as problem:
        if problem.status not in (403, 422) or not (area or cursor):
            raise
        errors, status_code = _field_errors(problem), problem.status
    return render(
        request,
        "supervision/overdue.html",
        status_code=status_code,
        listing=listing,
        region=area,
        errors=errors,
        words=rules_words,
    )


# ---- the dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    region: str
    start: str  # YYYY-MM-DD as typed (the services check it)
    end: str

    @classmethod
    def of(cls, user: User, region: str, start: str, end: str) -> Period:
        """Default: the caller's region, from the first day of the month five months back to today."""
        today = datetime.now(CHINA).date()
        months_back = today.year * 12 + today.month - 1 - 5
        first = date(months_back // 12, months_back % 12 + 1, 1)
        return cls(region.strip() or user.region, start.strip() or first.isoformat(), end.strip() or today.isoformat())

    def clocks_query(self) -> dict[str, str]:
        return {"region": self.region, "from_date": self.start, "to_date": self.end}

    def months_query(self) -> dict[str, str]:
        return {"region": self.region, "from_month": self.start[:7], "to_month": self.end[:7]}

    def slug(self) -> str:
        return "-".join(re.sub(r"[^0-9A-Za-z]", "", part) for part in (self.region, self.start, self.end))


@dataclass
class Section:
    """One statistics answer, or why it is missing (the other section still shows)."""

    data: dict[str, Any] | None = None
    notice: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


async def _section(call: Awaitable[Any], what: str) -> Section:
    try:
        return Section(data=await call)
    except ServiceDown as down:
        return Section(notice=f"{SERVICE_NAMES.get(down.service, down.service)}暂时无法使用，{what}暂不能显示。")
    except Problem as problem:
        if problem.status == 422:
            return Section(notice=f"{what}：请更正查询条件。", errors=_field_errors(problem))
        if problem.status == 404:
            return Section(notice=f"{what}暂不可用（服务尚未提供此统计）。")
        return Section(notice=f"{what}不能显示：{problem.detail or problem.title}")


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def _county_label(code: str) -> str:
    return rules_words.region_label(code)


def clock_tables(data: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(by county, by week) rows with their labels, in the API's order."""
    by_county = [
        {
            **row,
            "county_label": _county_label(str(row["county"])),
            "clock_name": rules_words.CLOCK_NAMES.get(row["clock"], row["clock"]),
            "share": percent(row.get("share_met")),
        }
        for row in data.get("by_county", [])
    ]
    by_week = [
        {
            **row,
            "clock_name": rules_words.CLOCK_NAMES.get(row["clock"], row["clock"]),
            "share": percent(row.get("share_met")),
        }
        for row in data.get("by_week", [])
    ]
    return by_county, by_week


def application_table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Month × scope, the counties added up, each month closed by its total (what the charts draw)."""
    months = sorted({str(r["month"]) for r in rows})
    table: list[dict[str, Any]] = []
    for month in months:
        in_month = [r for r in rows if r["month"] == month]
        for scope in SCOPES:
            of_scope = [r for r in in_month if r["scope"] == scope]
            if of_scope:
                table.append(_summed(month, rules_words.SCOPE_NAMES[scope], scope, of_scope))
        table.append(_summed(month, "合计", "total", in_month))
    return table


def _summed(month: str, scope_name: str, scope: str, rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    listed = list(rows)
    return {
        "month": month,
        "scope": scope,
        "scope_name": scope_name,
        **{key: sum(int(r.get(key) or 0) for r in listed) for key, _ in FIGURES},
    }


def _share_value(share: Any) -> float | None:
    return None if share is None else round(float(share) * 100, 1)


def chart_data(
    by_county: list[dict[str, Any]], by_week: list[dict[str, Any]], applications: list[dict[str, Any]]
) -> dict[str, Any]:
    """The JSON island the chart script reads: the same figures as the tables."""

    def share(rows: list[dict[str, Any]], key: str, labels: list[str], clock: str) -> list[float | None]:
        found = {str(r[key]): r.get("share_met") for r in rows if r["clock"] == clock}
        return [_share_value(found.get(label)) for label in labels]

    counties = list(dict.fromkeys(str(r["county"]) for r in by_county))
    weeks = list(dict.fromkeys(str(r["week"]) for r in by_week))
    months = list(dict.fromkeys(str(r["month"]) for r in applications))
    totals = {r["month"]: r for r in applications if r["scope"] == "total"}
    by_scope = {(r["month"], r["scope"]): r for r in applications}
    return {
        "clocksByCounty": {
            "labels": [_county_label(c) for c in counties],
            "datasets": [
                {"label": rules_words.CLOCK_NAMES[c], "data": share(by_county, "county", counties, c)} for c in CLOCKS
            ],
        },
        "clocksByWeek": {
            "labels": weeks,
            "datasets": [
                {"label": rules_words.CLOCK_NAMES[c], "data": share(by_week, "week", weeks, c)} for c in CLOCKS
            ],
        },
        "applicationsByMonth": {
            "labels": months,
            "datasets": [{"label": name, "data": [totals[m][key] for m in months]} for key, name in FIGURES],
        },
        "receivedByScope": {
            "labels": months,
            "datasets": [
                {
                    "label": rules_words.SCOPE_NAMES[s],
                    "data": [by_scope[(m, s)]["received"] if (m, s) in by_scope else 0 for m in months],
                }
                for s in SCOPES
            ],
        },
    }


@router.get("/supervision/dashboard")
async def dashboard(request: Request, user: CurrentUser, region: str = "", start: From = "", to: str = "") -> Response:
    period = Period.of(user, region, start, to)
    api = _api(request)
    clocks, applications = await asyncio.gather(
        _section(api.get(user, "routing", "/v1/statistics/clocks", **period.clocks_query()), "时限统计"),
        _section(api.get(user, "intake", "/v1/statistics/applications", **period.months_query()), "申请统计"),
    )
    by_county, by_week = clock_tables(clocks.data or {})
    months = application_table((applications.data or {}).get("rows", []))
    errors = {**applications.errors, **clocks.errors}
    query = urlencode({"region": period.region, "from": period.start, "to": period.end})
    return render(
        request,
        "supervision/dashboard.html",
        status_code=422 if errors else 200,
        period=period,
        query=query,
        clocks=clocks,
        applications=applications,
        by_county=by_county,
        by_week=by_week,
        months=months,
        charts=chart_data(by_county, by_week, months),
        errors=errors,
        figures=FIGURES,
        words=rules_words,
    )


# ---- CSV --------------------------------------------------------------------------------------


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """UTF-8 with a BOM (Excel opens it as UTF-8), CRLF lines, never cached."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        content=("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _share_number(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.1f}"


@router.get("/supervision/dashboard/clocks.csv")
async def clocks_csv(request: Request, user: CurrentUser, region: str = "", start: From = "", to: str = "") -> Response:
    period = Period.of(user, region, start, to)
    data = await _api(request).get(user, "routing", "/v1/statistics/clocks", **period.clocks_query())
    by_county, by_week = clock_tables(data)
    header = ["分组", "县（区）代码", "县（区）", "周", "时限", "应办", "按时办结", "超期", "未到期", "达标率(%)"]
    rows: list[list[Any]] = [
        [
            *("按县", r["county"], rules_words.region_name(str(r["county"])), "", r["clock_name"]),
            *(r["due"], r["met"], r["breached"], r["open"], _share_number(r.get("share_met"))),
        ]
        for r in by_county
    ]
    rows += [
        ["按周", "", "", r["week"], r["clock_name"], r["due"], r["met"], "", "", _share_number(r.get("share_met"))]
        for r in by_week
    ]
    return csv_response(f"clocks-{period.slug()}.csv", header, rows)


@router.get("/supervision/dashboard/applications.csv")
async def applications_csv(
    request: Request, user: CurrentUser, region: str = "", start: From = "", to: str = ""
) -> Response:
    period = Period.of(user, region, start, to)
    data = await _api(request).get(user, "intake", "/v1/statistics/applications", **period.months_query())
    header = ["月份", "县（区）代码", "县（区）", "范围", *(name for _, name in FIGURES)]
    rows = [
        [
            r["month"],
            r["county"],
            rules_words.region_name(str(r["county"])),
            rules_words.SCOPE_NAMES.get(r["scope"], r["scope"]),
            *(r.get(key, 0) for key, _ in FIGURES),
        ]
        for r in data.get("rows", [])
    ]
    return csv_response(f"applications-{period.slug()}.csv", header, rows)
