"""本窗口的申请: this window's applications with filters that stay in the URL, page by page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from workbench.pages import window

from tests.workbench.test_window_application import CHINA, NATIONAL, OTHER_WINDOW, clerk, file_application, hand_in

ROW = re.compile(r'<tr data-id="([0-9a-f-]{36})" data-status="([a-z_]+)">')


def rows(html: str) -> list[tuple[str, str]]:
    return ROW.findall(html)


async def test_the_list_filters_by_status_clock_and_date_and_keeps_them_in_the_url(
    workbench: Callable[..., Any],
) -> None:
    browser = await clerk(workbench)
    pending = [await file_application(browser, sequence) for sequence in (21, 22)]
    complete = await file_application(browser, 23)
    await hand_in(browser, complete, NATIONAL)
    elsewhere = await clerk(workbench, OTHER_WINDOW)
    await file_application(elsewhere, 24)
    today = datetime.now(CHINA).date()

    everything = await browser.page("/window/applications")
    by_status = await browser.page("/window/applications", status="materials_pending")
    by_clock = await browser.page("/window/applications", clock="on_time")
    breached = await browser.page("/window/applications", clock="breached")
    tomorrow = await browser.page("/window/applications", **{"from": (today + timedelta(days=1)).isoformat()})
    until_today = await browser.page("/window/applications", status="complete", to=today.isoformat())

    assert everything.status_code == 200 and {r[0] for r in rows(everything.text)} == {*pending, complete}
    assert sorted(r[0] for r in rows(by_status.text)) == sorted(pending)
    assert '<option value="materials_pending" selected>' in by_status.text
    assert rows(by_clock.text) == [(complete, "complete")] and "state-on_time" in by_clock.text
    assert '<option value="on_time" selected>' in by_clock.text
    assert rows(breached.text) == [] and "没有符合筛选条件的申请" in breached.text
    assert rows(tomorrow.text) == [] and f'value="{(today + timedelta(days=1)).isoformat()}"' in tomorrow.text
    assert (
        rows(until_today.text) == [(complete, "complete")] and f'id="to" name="to" value="{today}"' in until_today.text
    )
    assert f'href="/window/applications/{complete}"' in everything.text and "清除筛选" in by_status.text


async def test_the_list_goes_page_by_page_with_the_filters(
    workbench: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(window, "LIST_PAGE", 2)
    monkeypatch.setattr(window, "API_PAGE", 2)
    browser = await clerk(workbench)
    filed = [await file_application(browser, sequence) for sequence in (31, 32, 33)]

    first = await browser.page("/window/applications", status="materials_pending")
    found = re.search(r'href="/window/applications\?([^"]+)" id="next-page"', first.text)
    assert found, first.text
    second = await browser.client.get("/window/applications?" + found.group(1).replace("&amp;", "&"))

    assert "status=materials_pending" in found.group(1) and "cursor=" in found.group(1)
    shown = [r[0] for r in rows(first.text)] + [r[0] for r in rows(second.text)]
    assert sorted(shown) == sorted(filed) and len(rows(first.text)) == 2
    assert 'id="first-page"' in second.text
