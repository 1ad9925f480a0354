"""Issue 12's acceptance journey in a real browser, against the real system of tests/e2e.

跨省通办: a clerk at a Harbin window files for an applicant whose hukou is in Chengdu (锦江区), with an agent and the
materials, and prints the receipt; the three reviewers of 锦江区 act in order; the decision with its amounts comes
back to the window and the clerk records the notification. A reviewer of another county cannot see the case, and
a bad ID number is refused at its field.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import httpx
from playwright.async_api import FilePayload, Locator, Page, expect
from subsidy_shared.auth import Role
from subsidy_shared.ids import compose_id_number
from subsidy_shared.policy.examples import HEILONGJIANG_2016
from subsidy_shared.workdays import china_date

from tests.browser.conftest import Shoot, SignIn, reload_until
from tests.conftest import PDF_BYTES, token_for
from tests.e2e.conftest import System

HARBIN_WINDOW = "230102001"  # 道里区 township: the window
CHENGDU_TOWNSHIP = "510104001"  # 锦江区 township: the hukou, so the locality that reviews and decides
CHENGDU_COUNTY = "510104"
OTHER_COUNTY = "510105"  # 青羊区, the same city: still another county's case
# Born 1946: tests.conftest.application_body makes people born 1950–1999, so no e2e test files for these two.
APPLICANT_ID = compose_id_number(CHENGDU_COUNTY, date(1946, 5, 17), 731)
AGENT_ID = compose_id_number("230102", date(1978, 9, 2), 318)
# Sichuan has no policy among the shipped examples: the journey's county gets one with its own amounts.
LIVING_FEN, NURSING_FEN = 9000, 12000
REVIEWERS = (
    ("township_reviewer", CHENGDU_TOWNSHIP, "township_review", "锦江乡镇审核员"),
    ("county_disability_federation", CHENGDU_COUNTY, "county_verification", "锦江区残联"),
    ("county_civil_affairs", CHENGDU_COUNTY, "county_approval", "锦江区民政"),
)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


async def _sichuan_policy(http: httpx.AsyncClient, system: System) -> None:
    """A Sichuan version in force from today (a new version may not start in the past), as its admin adds it."""
    today = china_date(datetime.now(UTC)).isoformat()
    body = HEILONGJIANG_2016.model_dump(mode="json") | {
        "province": "51",
        "version": f"51-browser-{today}",
        "effective_from": today,
        "source": "tests/browser: assumed amounts so that the journey's Chengdu case is decided with amounts",
        "publicity_days": 0,
        "living_tiers": [{"id": "living.all", "label": "全省统一标准", "monthly_amount_fen": LIVING_FEN}],
        "nursing_tiers": [{"id": "nursing.all", "label": "全省统一标准", "monthly_amount_fen": NURSING_FEN}],
    }
    admin = token_for(Role.PROVINCIAL_ADMIN, "510000", sub="sichuan-admin")
    answer = await http.put(f"{system.url('eligibility')}/v1/policies/51", json=body, headers=admin)
    assert answer.status_code in (201, 409), answer.text  # 409: this session's system has it already


async def _registry_facts(http: httpx.AsyncClient, system: System) -> None:
    """What the registries know of the applicant (a grade-1 physical disability card, 低保), imported through review."""
    certificate = {"category": 4, "grade": 1, "generation": 2, "issued_on": "2021-03-01", "expires_on": "2031-02-28"}
    lines: list[dict[str, Any]] = [
        {"source": "browser-cdpf", "record_id": f"cert-{APPLICANT_ID}", "record_kind": "certificate",
         "change": "issued", "id_number": APPLICANT_ID, "region": CHENGDU_TOWNSHIP, "effective_date": "2021-03-01",
         "facts": certificate},
        {"source": "browser-dibao", "record_id": f"dibao-{APPLICANT_ID}", "record_kind": "dibao",
         "change": "started", "id_number": APPLICANT_ID, "region": CHENGDU_TOWNSHIP, "effective_date": "2024-01-01"},
    ]  # fmt: skip
    body = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
    headers = {**token_for(Role.OPS, "510000", sub="sichuan-ops"), "Content-Type": "application/x-ndjson"}
    answer = await http.post(f"{system.url('review')}/v1/registry/records", content=body, headers=headers)
    assert answer.status_code in (200, 201, 202), answer.text
    assert answer.json()["rejected"] == [], answer.text


async def _fill_application(page: Page) -> None:
    """The new-application form as a clerk fills it: hukou picked by name, then the township's code."""
    await page.fill("#applicant-id_number", APPLICANT_ID)
    await page.fill("#applicant-name", "刘桂兰")
    await page.fill("#applicant-phone", "13900000731")
    await page.select_option("#region_province", label="四川省")
    await _htmx_settled(page)  # htmx redraws the picker; a select acted on before it settles sends nothing
    await page.select_option("#region_city", label="成都市")
    await _htmx_settled(page)
    await page.select_option("#region_county", label="锦江区")
    await _htmx_settled(page)
    await expect(page.locator("#hukou_region")).to_have_value(CHENGDU_COUNTY)  # the county's 6 digits
    await page.fill("#hukou_region", CHENGDU_TOWNSHIP)
    await page.fill("#certificate_number", f"{APPLICANT_ID}41")
    await page.check("#subsidies-living")
    await page.check("#subsidies-nursing")
    await page.fill("#bank_account-bank", "中国农业银行")
    await page.fill("#bank_account-account_number", "6228480000000731")
    await page.fill("#bank_account-holder_name", "刘桂兰")
    await page.check("#has_agent")
    await page.fill("#agent-id_number", AGENT_ID)
    await page.fill("#agent-name", "王建国")
    await page.select_option("#agent-relation", "family")
    await page.fill("#agent-phone", "13900000318")


async def test_cross_province_application_from_the_window_through_the_three_reviewers_and_back(
    system: System, http: httpx.AsyncClient, signed_in: SignIn, shoot: Shoot
) -> None:
    await _sichuan_policy(http, system)
    await _registry_facts(http, system)
    clerk = await signed_in("window_clerk", HARBIN_WINDOW, name="王窗口")

    # 一次性告知 for the hukou place, on screen and printable.
    asked = f"hukou_region={CHENGDU_TOWNSHIP}&subsidies=living&subsidies=nursing&proxy=1"
    answer = await clerk.goto(f"/window/requirements?{asked}")
    assert answer is not None and answer.status == 200
    await shoot(clerk, "requirements")
    answer = await clerk.goto(f"/window/requirements/print?{asked}")
    assert answer is not None and answer.status == 200
    await shoot(clerk, "requirements-print")

    # The application with an agent; its check digits and region are confirmed as they are typed.
    await clerk.goto("/window/applications/new")
    await _fill_application(clerk)
    await expect(clerk.locator("#applicant-id_number-check")).to_have_class(re.compile(r"check-ok"))
    await expect(clerk.locator("#hukou_region-check")).to_contain_text("锦江区")
    await shoot(clerk, "application-form")
    await clerk.get_by_role("button", name="提交申请", exact=True).click()
    await expect(clerk).to_have_url(re.compile(rf"/window/applications/{UUID}$"))
    application_id = clerk.url.rsplit("/", 1)[-1]
    await expect(clerk.locator("#application-id")).to_have_text(application_id)
    await shoot(clerk, "application-materials-pending")

    # Every missing material in one go (a PDF scan each), then nothing is missing.
    missing = clerk.locator("ul.missing-materials li")
    await expect(missing.first).to_be_visible()
    kinds = [kind for kind in await missing.evaluate_all("items => items.map(li => li.dataset.kind)") if kind]
    assert kinds, "the checklist names the missing kinds"
    for kind in kinds:
        await clerk.set_input_files(f'#materials-form input[name="file.{kind}"]', files=[_scan(kind)])
    await clerk.get_by_role("button", name="上传材料").click()
    await expect(clerk.locator("ul.missing-materials")).to_have_count(0)
    await expect(clerk.locator("table.materials tbody tr")).to_have_count(len(kinds))
    await shoot(clerk, "application-complete")

    # The printable 受理回执.
    await clerk.get_by_role("link", name="打印受理回执").click()
    await expect(clerk).to_have_url(re.compile(rf"/window/applications/{application_id}/receipt$"))
    await expect(clerk.locator("main")).to_contain_text(application_id)
    await shoot(clerk, "receipt")

    # The three reviewers of the hukou county, in order, each from their worklist.
    for role, region, step, name in REVIEWERS:
        reviewer = await signed_in(role, region, name=name)
        if step == "county_approval":  # while the case waits for 审定 in 锦江区
            other = await signed_in("county_civil_affairs", OTHER_COUNTY, name="青羊区民政")
            await _another_county_cannot_see(other, application_id, shoot)
            await other.close()
        await reviewer.goto(f"/review/worklist?step={step}")
        row = reviewer.locator(f'a.case-link[href="/review/cases/{application_id}"]')
        await reload_until(reviewer, partial(_present, row))
        await expect(reviewer.locator(f"#count-{step}")).to_be_visible()
        await shoot(reviewer, f"worklist-{step}")
        await row.click()
        await expect(reviewer).to_have_url(re.compile(rf"/review/cases/{application_id}$"))
        # The pre-check has the registry facts: both subsidies recommended, with the county's amounts.
        both = reviewer.locator("#recommendation-living .tag-ok, #recommendation-nursing .tag-ok")
        await reload_until(reviewer, partial(_count_is, both, 2))
        await expect(reviewer.locator("#recommendation-nursing")).to_contain_text("120.00 元")
        await shoot(reviewer, f"case-{step}")
        await reviewer.check("#outcome-pass")
        await reviewer.get_by_role("button", name="提交", exact=True).click()
        await expect(reviewer.locator(".error-summary")).to_have_count(0)
        await expect(reviewer.locator("#done-notice")).to_be_visible()
        await shoot(reviewer, f"done-{step}")
        await reviewer.close()  # its inline PDFs keep the browser busy

    # The decision with its amounts and start month, back at the window; the clerk tells the applicant.
    await clerk.goto(f"/window/applications/{application_id}")
    decision = clerk.locator("section.decision")
    await reload_until(clerk, partial(_present, decision))
    month = china_date(datetime.now(UTC))
    for subsidy, fen in (("living", LIVING_FEN), ("nursing", NURSING_FEN)):
        outcome = decision.locator(f'tr[data-subsidy="{subsidy}"]')
        await expect(outcome).to_have_class(re.compile(r"outcome-approved"))
        await expect(outcome.locator(".amount")).to_have_text(f"{fen // 100}.{fen % 100:02d} 元")
        await expect(outcome.locator(".start-month")).to_have_text(f"{month.year}年{month.month}月")
    await shoot(clerk, "application-decided")
    await clerk.get_by_role("link", name="决定通知书").click()
    await expect(clerk).to_have_url(re.compile(rf"/window/applications/{application_id}/notice$"))
    await expect(clerk.locator("main")).to_contain_text("120.00 元")
    await shoot(clerk, "notice")
    await clerk.go_back()
    await clerk.select_option("#channel", "in_person")
    await clerk.get_by_role("button", name="记录已告知").click()
    await expect(clerk.locator("#notified-notice")).to_be_visible()
    await expect(clerk.locator("#clock-notify")).not_to_have_class(re.compile(r"state-breached"))
    await expect(clerk.locator("#notify-form")).to_have_count(0)
    await shoot(clerk, "application-notified")


async def _another_county_cannot_see(page: Page, application_id: str, shoot: Shoot) -> None:
    """青羊区's civil affairs: not in its worklist, and the case page is the same 404 as an unknown case."""
    await page.goto("/review/worklist?step=county_approval")
    await expect(page.locator("h1")).to_contain_text("待办")
    await expect(page.locator(f'a[href="/review/cases/{application_id}"]')).to_have_count(0)
    answer = await page.goto(f"/review/cases/{application_id}")
    assert answer is not None and answer.status == 404
    await expect(page.locator("main")).not_to_contain_text("刘桂兰")
    await shoot(page, "other-county-case-unknown")


async def test_a_bad_id_number_is_refused_inline_and_on_submit_at_its_field(signed_in: SignIn, shoot: Shoot) -> None:
    clerk = await signed_in("window_clerk", HARBIN_WINDOW)
    await clerk.goto("/window/applications/new")
    good = compose_id_number("230102", date(1961, 2, 3), 45)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")  # the check digit is wrong

    await clerk.fill("#applicant-id_number", bad)
    check = clerk.locator("#applicant-id_number-check")
    await expect(check).to_have_class(re.compile(r"check-bad"))
    await expect(check).to_contain_text("身份证号")  # the field, named in words, as it is typed
    await shoot(clerk, "id-number-checked-as-typed")

    await clerk.fill("#applicant-name", "赵错号")
    await clerk.get_by_role("button", name="提交申请", exact=True).click()
    summary = clerk.locator(".error-summary")
    await expect(summary).to_be_visible()
    await expect(summary.locator('a[href="#applicant-id_number"]')).to_contain_text("身份证号")
    await expect(clerk.locator("#applicant-id_number-error")).to_be_visible()
    await expect(clerk.locator("#applicant-id_number")).to_have_attribute("aria-invalid", "true")
    # Nothing typed is lost.
    await expect(clerk.locator("#applicant-id_number")).to_have_value(bad)
    await expect(clerk.locator("#applicant-name")).to_have_value("赵错号")
    await shoot(clerk, "id-number-refused")


async def _htmx_settled(page: Page) -> None:
    """No htmx request in flight and no swap settling (htmx wires up swapped-in elements when it settles)."""
    await page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def _scan(kind: str) -> FilePayload:
    return {"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}


async def _present(locator: Locator) -> bool:
    return await locator.count() > 0


async def _count_is(locator: Locator, count: int) -> bool:
    return await locator.count() == count
