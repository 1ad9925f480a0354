"""一次性告知 at the window: the checklist of the hukou place on screen and as a printable 一次性告知书."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.workbench.test_window_application import CHINA, HUKOU, clerk


async def test_the_checklist_of_a_hukou_place_with_an_agent(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)

    page = await browser.page("/window/requirements", hukou_region=HUKOU, subsidies="living", proxy="1")

    assert page.status_code == 200
    assert "四川省 成都市 锦江区 · 乡镇（街道）510104001 所需材料" in page.text
    for label in ("申请表", "身份证", "户口簿", "残疾人证", "委托代办人身份证", "委托关系证明", "承诺书"):
        assert f"<td>{label}</td>" in page.text, label
    assert 'id="subsidies-living" name="subsidies" value="living" checked' in page.text
    assert 'id="subsidies-nursing" name="subsidies" value="nursing">' in page.text
    assert 'href="/window/requirements/print?hukou_region=510104001&amp;subsidies=living&amp;proxy=1"' in page.text
    assert 'href="/window/applications/new?hukou_region=510104001&amp;subsidies=living&amp;has_agent=1"' in page.text


async def test_the_printable_notice_names_the_office_and_the_date(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)

    page = await browser.page("/window/requirements/print", hukou_region=HUKOU, subsidies=["living", "nursing"])

    today = datetime.now(CHINA).date().isoformat()
    assert page.status_code == 200 and "一次性告知书" in page.text and 'id="requirements-notice"' in page.text
    assert "告知单位：黑龙江省 哈尔滨市 道里区 受理窗口（230102001）" in page.text
    assert f"告知日期：{today}" in page.text and "经办人：王窗口" in page.text and "data-print" in page.text
    assert "委托代办人身份证" not in page.text


async def test_a_county_picked_by_name_is_enough_for_the_checklist_without_javascript(
    workbench: Callable[..., Any],
) -> None:
    browser = await clerk(workbench)

    first = await browser.page("/window/requirements")
    province = await browser.page("/window/requirements", region_province="510000", action="region")
    county = await browser.page(
        "/window/requirements", region_province="510000", region_city="510100", region_county="510104", action="region"
    )

    assert first.status_code == 200 and "所需材料" not in first.text
    assert 'id="subsidies-living" name="subsidies" value="living" checked' in first.text
    assert '<option value="510100">成都市</option>' in province.text and "所需材料" not in province.text
    assert (
        'name="hukou_region" value="510104"' in county.text and "四川省 成都市 锦江区（510104） 所需材料" in county.text
    )


async def test_an_unknown_region_is_named_at_the_field(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)

    page = await browser.page("/window/requirements", hukou_region="999999001")

    assert page.status_code == 422 and 'id="hukou_region-error"' in page.text and "GB/T 2260" in page.text
    assert 'value="999999001"' in page.text
    unfinished = await browser.page("/window/requirements", region_province="510000", region_city="510100")
    assert unfinished.status_code == 422 and "请选择到县（市、区）" in unfinished.text
