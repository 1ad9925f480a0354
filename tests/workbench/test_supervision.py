"""监督: the overdue list, and the dashboard's tables, chart figures and CSV over the real services.

The dashboard reads routing `GET /v1/statistics/clocks` and intake `GET /v1/statistics/applications` (shapes in
the workbench contract); these tests fail until both endpoints answer.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from subsidy_shared.clock import utc_now
from subsidy_shared.workdays import china_date

from tests.eligibility.conftest import HARBIN_COUNTY, HARBIN_TOWNSHIP
from tests.routing.conftest import submitted
from tests.workbench.conftest import Workbench
from tests.workbench.test_review import element, file_case, relay_to_routing, text


async def late_case(browser: Workbench, sequence: int, days_ago: int = 40) -> str:
    """A case routed weeks ago and never decided: its 10-working-day decision clock is breached."""
    then = utc_now() - timedelta(days=days_ago)
    event = submitted(hukou=HARBIN_TOWNSHIP, complete=then, sequence=sequence)
    await relay_to_routing(browser.databases["routing"], event, then)
    return str(event.data.application_id)


def this_period() -> tuple[str, str, str]:
    """(from, to, this month) around today, China time."""
    today = china_date(utc_now())
    start = (today - timedelta(days=75)).replace(day=1)
    return start.isoformat(), (today + timedelta(days=31)).isoformat(), today.isoformat()[:7]


# ---- overdue ----------------------------------------------------------------------------------


async def test_the_overdue_page_lists_a_breached_case_of_the_region(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    late = await late_case(browser, 200)
    await browser.sign_in("county_civil_affairs", HARBIN_COUNTY)

    page = await browser.page("/supervision/overdue")

    assert page.status_code == 200, page.text
    row = text(page.text, f"overdue-{late}")
    assert "认定时限" in row and "超期" in row and "南岗区" in row and "张*三" in row
    assert f'href="/review/cases/{late}"' in page.text
    assert "截至" in text(page.text, "overdue-title")


async def test_the_overdue_page_of_another_area_is_refused_at_the_region_field(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    await late_case(browser, 201)
    await browser.sign_in("county_civil_affairs", HARBIN_COUNTY)

    other = await browser.page("/supervision/overdue", region="230102")
    mine = await browser.page("/supervision/overdue", region="230103")

    assert other.status_code == 403 and "outside" in text(other.text, "region-error")
    assert element(other.text, "overdue") is None
    assert mine.status_code == 200 and element(mine.text, "overdue") is not None


# ---- the dashboard ------------------------------------------------------------------------------


async def test_the_dashboard_shows_the_clocks_and_the_applications_as_tables_and_chart_figures(
    workbench: Callable[..., Any],
) -> None:
    browser: Workbench = await workbench()
    await late_case(browser, 210)
    await file_case(browser, 211)  # accepted in 道里区 for a hukou in 南岗区: 跨县通办, this month
    start, end, month = this_period()
    await browser.sign_in("county_civil_affairs", HARBIN_COUNTY)

    page = await browser.page("/supervision/dashboard", region=HARBIN_COUNTY, **{"from": start}, to=end)

    assert page.status_code == 200, page.text
    by_county = text(page.text, "clocks-by-county")
    assert "南岗区（230103）" in by_county and "认定时限" in by_county and "推送时限" in by_county
    assert "0.0%" in by_county  # the decision clock of the late case: breached, none met
    assert element(page.text, "clocks-by-week") is not None
    months = text(page.text, "applications-by-month")
    assert month in months and "跨县通办" in months and "合计" in months
    island = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page.text, re.S)
    assert island is not None
    charts = json.loads(island.group(1))
    assert charts["applicationsByMonth"]["labels"][-1] == month
    received = next(d for d in charts["applicationsByMonth"]["datasets"] if d["label"] == "受理")
    assert received["data"][-1] >= 1
    assert "南岗区（230103）" in charts["clocksByCounty"]["labels"]
    assert "/static/vendor/chart.js/dist/chart.umd.js" in page.text
    assert element(page.text, "chart-clocks-county") is not None
    csv_link = element(page.text, "clocks-csv")
    assert csv_link is not None and str(csv_link[0]["href"]).startswith("/supervision/dashboard/clocks.csv?")


async def test_the_dashboard_figures_download_as_csv_with_a_bom(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    await late_case(browser, 220)
    await file_case(browser, 221)
    start, end, month = this_period()
    await browser.sign_in("county_civil_affairs", HARBIN_COUNTY)
    query = {"region": HARBIN_COUNTY, "from": start, "to": end}

    clocks = await browser.page("/supervision/dashboard/clocks.csv", **query)
    applications = await browser.page("/supervision/dashboard/applications.csv", **query)

    for answer in (clocks, applications):
        assert answer.status_code == 200, answer.text
        assert (
            answer.headers["content-type"].startswith("text/csv") and "charset=utf-8" in answer.headers["content-type"]
        )
        assert answer.content.startswith(b"\xef\xbb\xbf") and answer.headers["cache-control"] == "no-store"
        assert answer.headers["content-disposition"].startswith("attachment;")
    clock_rows = list(csv.reader(io.StringIO(clocks.content.decode("utf-8-sig"))))
    assert clock_rows[0][:3] == ["分组", "县（区）代码", "县（区）"]
    decision = next(r for r in clock_rows if r[0] == "按县" and r[4] == "认定时限")
    assert decision[1:3] == ["230103", "南岗区"] and decision[-1] == "0.0"
    assert any(r[0] == "按周" for r in clock_rows)
    application_rows = list(csv.reader(io.StringIO(applications.content.decode("utf-8-sig"))))
    assert application_rows[0] == ["月份", "县（区）代码", "县（区）", "范围", "受理", "办结", "批准", "不予批准"]
    assert [month, "230103", "南岗区", "跨县通办", "1", "0", "0", "0"] in application_rows


async def test_a_bad_date_is_named_at_its_field_and_the_page_still_answers(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    await browser.sign_in("county_civil_affairs", HARBIN_COUNTY)

    page = await browser.page("/supervision/dashboard", **{"from": "2026-12-31"}, to="2026-11-01")

    assert page.status_code == 422
    assert element(page.text, "to-error") is not None
    assert 'href="#to"' in page.text


async def test_the_dashboard_keeps_the_other_figures_when_a_service_is_down(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench(down=("routing",))
    await file_case(browser, 230)
    start, end, month = this_period()
    await browser.sign_in("county_civil_affairs", HARBIN_COUNTY)

    page = await browser.page("/supervision/dashboard", **{"from": start}, to=end)

    assert page.status_code == 200, page.text
    assert "流转服务暂时无法使用" in text(page.text, "clocks-unavailable")
    assert month in text(page.text, "applications-by-month")
