"""The reviewers' pages (审核 / 核实 / 审定) over the real services: counts, the case page, acting, bulk approval."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import httpx
from routing_service.consumers import subscriptions as routing_subscriptions
from routing_service.settings import Settings as RoutingSettings
from subsidy_shared.auth import Role
from subsidy_shared.clock import utc_now

from tests.conftest import PDF_BYTES, PNG_BYTES, ServiceDatabase, token_for
from tests.eligibility.conftest import (
    CIVIL_AFFAIRS,
    FEDERATION,
    HARBIN_COUNTY,
    HARBIN_TOWNSHIP,
    HARBIN_WINDOW,
    TOWNSHIP,
    Person,
    apply,
    arrive,
    certificate,
    dibao,
    person,
)
from tests.service_api import outbox_events
from tests.workbench.conftest import Workbench

CLERK = token_for(Role.WINDOW_CLERK, HARBIN_WINDOW, sub="window-clerk")
OTHER_COUNTY_TOWNSHIP = "230102003"  # 道里区: not the hukou county of these cases
CHENGDU_TOWNSHIP = "510104001"  # 四川 has no policy in the shipped examples


# ---- reading pages --------------------------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Element(HTMLParser):
    """The text and attributes of the element with one id (the pages close their tags)."""

    def __init__(self, wanted: str) -> None:
        super().__init__()
        self.wanted = wanted
        self.depth = 0
        self.attrs: dict[str, str | None] | None = None
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += tag not in _VOID
        elif self.attrs is None and dict(attrs).get("id") == self.wanted:
            self.attrs = dict(attrs)
            self.depth = int(tag not in _VOID)

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in _VOID:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def element(html: str, element_id: str) -> tuple[dict[str, str | None], str] | None:
    """(attributes, text with whitespace collapsed) of `#element_id`, or None when the page has none."""
    parser = _Element(element_id)
    parser.feed(html)
    if parser.attrs is None:
        return None
    return parser.attrs, " ".join("".join(parser.parts).split())


def text(html: str, element_id: str) -> str:
    found = element(html, element_id)
    assert found is not None, f"no #{element_id} on the page"
    return found[1]


# ---- putting cases into the services ----------------------------------------------------------------


@contextlib.asynccontextmanager
async def service(browser: Workbench, name: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of one in-process service (the same app the workbench calls)."""
    transport = httpx.ASGITransport(app=browser.services[name])
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}") as client:
        yield client


async def route(browser: Workbench, application_id: str, when: datetime | None = None) -> None:
    """intake's application.submitted → routing → case.routed → eligibility, as the consumers would (no broker)."""
    intake_db, routing_db = browser.databases["intake"], browser.databases["routing"]
    [submitted] = [
        e for e in await outbox_events(intake_db, "subsidy.application.submitted.v1") if e.subject == application_id
    ]
    await relay_to_routing(routing_db, submitted, when or utc_now())
    [routed] = [e for e in await outbox_events(routing_db, "subsidy.case.routed.v1") if e.subject == application_id]
    await apply(browser.databases["eligibility"], routed, when or utc_now())


async def relay_to_routing(db: ServiceDatabase, event: Any, now: datetime) -> None:
    settings = RoutingSettings(env="test", database_url=db.url, run_background_tasks=False)
    wiring = routing_subscriptions(settings, clock=lambda: now)
    async with db.sessionmaker() as session, session.begin():
        await wiring.handlers[event.type](event, session)


async def file_case(
    browser: Workbench,
    sequence: int,
    *,
    hukou: str = HARBIN_TOWNSHIP,
    registry: tuple[str, ...] = ("certificate", "dibao"),
) -> tuple[str, Person]:
    """A window files the application with its materials (one PNG, the rest PDFs); it reaches its locality."""
    who = person(sequence, hukou=hukou)
    records = {"certificate": certificate, "dibao": dibao}
    for kind in registry:
        await apply(browser.databases["eligibility"], records[kind](who))
    async with service(browser, "intake") as intake:
        created = await intake.post("/v1/applications", json=who.body, headers=CLERK)
        assert created.status_code == 201, created.text
        application_id = str(created.json()["id"])
        kinds = created.json()["missing_materials"]
        for number, kind in enumerate(kinds):
            name, content, kind_type = (
                (f"{kind}.png", PNG_BYTES, "image/png")
                if number == 0
                else (f"{kind}.pdf", PDF_BYTES, "application/pdf")
            )
            uploaded = await intake.post(
                f"/v1/applications/{application_id}/materials",
                data={"kind": kind},
                files={"file": (name, content, kind_type)},
                headers=CLERK,
            )
            assert uploaded.status_code == 201, uploaded.text
    await route(browser, application_id)
    return application_id, who


async def harbin_case(browser: Workbench, sequence: int, *registry: str, hukou: str = HARBIN_TOWNSHIP) -> str:
    """A case fed straight to eligibility's consumer (no intake application behind it)."""
    who = person(sequence, hukou=hukou)
    records = {"certificate": certificate, "dibao": dibao}
    return await arrive(browser.databases["eligibility"], who, *(records[kind](who) for kind in registry))


async def advance(browser: Workbench, application_id: str, to: str) -> None:
    """Through the eligibility API: township review, then the federation's verification."""
    steps = [("review", TOWNSHIP), ("verify", FEDERATION)]
    stop = {"county_verification": 1, "county_approval": 2}[to]
    async with service(browser, "eligibility") as eligibility:
        for action, headers in steps[:stop]:
            answer = await eligibility.post(
                f"/v1/cases/{application_id}/{action}", json={"outcome": "pass"}, headers=headers
            )
            assert answer.status_code == 200, answer.text


async def step_of(browser: Workbench, application_id: str) -> str:
    async with service(browser, "eligibility") as eligibility:
        answer = await eligibility.get(f"/v1/cases/{application_id}", headers=CIVIL_AFFAIRS)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["step"])


# ---- the worklist -------------------------------------------------------------------------------


async def test_the_worklist_shows_the_counts_per_step_first_and_the_steps_cases(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    waiting = [await harbin_case(browser, 100 + n, "certificate", "dibao") for n in range(3)]
    await advance(browser, waiting[0], "county_verification")
    await browser.sign_in("township_reviewer", HARBIN_TOWNSHIP, "李审核")

    page = await browser.page("/review/worklist")

    assert page.status_code == 200, page.text
    assert page.text.index('id="step-counts"') < page.text.index('id="worklist"')
    assert text(page.text, "count-township_review").startswith("2")
    assert text(page.text, "count-county_verification").startswith("1")
    assert text(page.text, "count-county_approval").startswith("0")
    assert element(page.text, f"case-{waiting[1]}") and element(page.text, f"case-{waiting[2]}")
    assert element(page.text, f"case-{waiting[0]}") is None
    row = text(page.text, f"case-{waiting[1]}")
    assert "张*三" in row and "南岗区" in row and "生活补贴：建议批准" in row
    assert f'href="/review/cases/{waiting[1]}"' in page.text
    assert 'id="bulk-approval"' not in page.text  # only 审定 selects many

    federation = await browser.page("/review/worklist", step="county_verification")
    assert element(federation.text, f"case-{waiting[0]}") is not None
    assert 'aria-current="page"' in federation.text


async def test_a_region_outside_the_reviewers_area_is_named_at_the_filter(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    await browser.sign_in("township_reviewer", HARBIN_TOWNSHIP)

    page = await browser.page("/review/worklist", region="230102")

    assert page.status_code == 403
    assert "outside" in text(page.text, "region-error")
    assert element(page.text, "error-summary-title") is not None


# ---- the case page ------------------------------------------------------------------------------


async def test_the_case_page_shows_materials_inline_facts_and_the_rules_in_words(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    case_id, _ = await file_case(browser, 110)
    await browser.sign_in("township_reviewer", HARBIN_TOWNSHIP)

    page = await browser.page(f"/review/cases/{case_id}")

    assert page.status_code == 200, page.text
    assert "乡镇（街道）审核" in text(page.text, "case-step")
    assert "张*三" in page.text and "张小三" not in page.text  # masked as the API gives it
    pdfs = re.findall(
        rf'<object data="(/review/cases/{case_id}/materials/[0-9a-f-]+)" type="application/pdf"', page.text
    )
    images = re.findall(rf'<img src="(/review/cases/{case_id}/materials/[0-9a-f-]+)"', page.text)
    assert pdfs and len(images) == 1
    living = text(page.text, "recommendation-living")
    assert "建议批准" in living and "E1" in living and "低保家庭中的残疾人" in living
    assert "国发〔2015〕52号" in living  # the rule in words, beside the service's own reason
    facts = text(page.text, "facts-table")
    assert "第二代残疾人证" in facts and "肢体一级" in facts and "低保" in facts
    form = element(page.text, "action-form")
    assert form is not None and form[0]["action"] == f"/review/cases/{case_id}/review"
    assert element(page.text, "outcome-pass") and element(page.text, "outcome-fail")
    assert text(page.text, "submit-action") == "提交"
    assert element(page.text, "policy-warning") is None

    pdf = await browser.page(pdfs[0])
    image = await browser.page(images[0])
    assert pdf.status_code == 200 and pdf.content == PDF_BYTES
    assert pdf.headers["content-type"] == "application/pdf" and pdf.headers["cache-control"] == "no-store"
    assert image.headers["content-type"] == "image/png" and image.content == PNG_BYTES


async def test_a_township_reviewer_passes_a_case_and_it_moves_to_county_verification(
    workbench: Callable[..., Any],
) -> None:
    browser: Workbench = await workbench()
    case_id, _ = await file_case(browser, 111)
    await browser.sign_in("township_reviewer", HARBIN_TOWNSHIP)
    await browser.page(f"/review/cases/{case_id}")

    answer = await browser.submit(f"/review/cases/{case_id}/review", {"outcome": "pass", "reason": ""})

    assert answer.status_code == 303 and answer.headers["location"] == f"/review/cases/{case_id}?done=review"
    assert await step_of(browser, case_id) == "county_verification"
    after = await browser.page(f"/review/cases/{case_id}", done="review")
    assert text(after.text, "done-step") == "县级残联核实"
    assert element(after.text, "action-form") is None  # the federation's step now
    assert "通过" in text(after.text, "reviews-table")
    counts = await browser.page("/review/worklist")
    assert text(counts.text, "count-county_verification").startswith("1")


async def test_refusing_without_a_reason_shows_the_services_message_at_the_reason(
    workbench: Callable[..., Any],
) -> None:
    browser: Workbench = await workbench()
    case_id = await harbin_case(browser, 112, "certificate", "dibao")  # recommended: approve both
    await browser.sign_in("township_reviewer", HARBIN_TOWNSHIP)
    await browser.page(f"/review/cases/{case_id}")

    answer = await browser.submit(f"/review/cases/{case_id}/review", {"outcome": "fail", "reason": "  "})

    assert answer.status_code == 422
    assert "needs a reason" in text(answer.text, "reason-error")
    assert 'href="#reason"' in answer.text  # the error summary links to the field
    assert re.search(r'id="outcome-fail"[^>]*checked', answer.text)  # nothing chosen is lost
    assert await step_of(browser, case_id) == "township_review"


async def test_deciding_a_subsidy_against_the_recommendation_needs_a_reason_at_approval(
    workbench: Callable[..., Any],
) -> None:
    browser: Workbench = await workbench()
    case_id = await harbin_case(browser, 113, "certificate", "dibao")
    await advance(browser, case_id, "county_approval")
    await browser.sign_in("county_civil_affairs", HARBIN_COUNTY)
    page = await browser.page(f"/review/cases/{case_id}")
    assert element(page.text, "subsidies-living") is not None

    refused = await browser.submit(
        f"/review/cases/{case_id}/approve", {"outcome": "pass", "subsidies.living": "refuse"}
    )
    assert refused.status_code == 422
    assert "against the recommendation" in text(refused.text, "reason-error")
    assert re.search(r'<option value="refuse" selected', refused.text)

    decided = await browser.submit(
        f"/review/cases/{case_id}/approve",
        {"outcome": "pass", "subsidies.living": "refuse", "reason": "经入户核查，家庭已退出低保"},
    )
    assert decided.status_code == 303
    final = await browser.page(f"/review/cases/{case_id}")
    assert "不予批准" in text(final.text, "decision-living")
    assert "批准" in text(final.text, "decision-nursing") and "100.00 元" in text(final.text, "decision-nursing")


async def test_a_reviewer_of_another_county_gets_the_not_found_page(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    case_id, _ = await file_case(browser, 114)
    await browser.sign_in("township_reviewer", OTHER_COUNTY_TOWNSHIP)

    page = await browser.page(f"/review/cases/{case_id}")
    acted = await browser.submit(f"/review/cases/{case_id}/review", {"outcome": "pass"})
    nonsense = await browser.page("/review/cases/not-a-case")
    async with service(browser, "intake") as intake:
        material_id = (await intake.get(f"/v1/applications/{case_id}", headers=CLERK)).json()["materials"][0]["id"]
    material = await browser.page(f"/review/cases/{case_id}/materials/{material_id}")

    assert page.status_code == 404 and "没有找到" in page.text and "张*三" not in page.text
    assert acted.status_code == 404
    assert nonsense.status_code == 404 and "没有找到" in nonsense.text
    assert material.status_code == 404 and material.content != PDF_BYTES
    assert await step_of(browser, case_id) == "township_review"


async def test_a_case_from_a_province_without_a_policy_in_force_says_so(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    case_id = await harbin_case(browser, 115, "certificate", hukou=CHENGDU_TOWNSHIP)
    await browser.sign_in("township_reviewer", CHENGDU_TOWNSHIP)

    page = await browser.page(f"/review/cases/{case_id}")
    listing = await browser.page("/review/worklist")

    assert page.status_code == 200, page.text
    assert "没有生效的补贴政策" in text(page.text, "policy-warning")
    assert "无预审建议" in text(page.text, "recommendation-living")
    assert "受理系统中没有此申请" in text(page.text, "materials-unavailable")  # fed straight to eligibility
    assert "无生效政策" in text(listing.text, f"case-{case_id}")


# ---- bulk approval ------------------------------------------------------------------------------


async def test_bulk_approval_shows_each_cases_result(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    ready = [await harbin_case(browser, 120 + n, "certificate", "dibao") for n in range(2)]
    early = await harbin_case(browser, 122, "certificate", "dibao")
    for case_id in ready:
        await advance(browser, case_id, "county_approval")
    await browser.sign_in("county_civil_affairs", HARBIN_COUNTY)
    listing = await browser.page("/review/worklist", step="county_approval")
    assert element(listing.text, "bulk-approval") is not None
    assert text(listing.text, "bulk-approve") == "批量审定"
    assert all(element(listing.text, f"select-{case_id}") for case_id in ready)

    answer = await browser.submit(
        "/review/approvals",
        {"application_ids": [*ready, early], f"label.{ready[0]}": "张*三 2301**********0011"},
    )

    assert answer.status_code == 200, answer.text
    assert text(answer.text, "approved-count") == "2" and text(answer.text, "skipped-count") == "1"
    results = text(answer.text, "approval-results")
    assert "张*三 2301**********0011" in results and "township_review" in results
    assert answer.text.count('class="result-approved"') == 2 and answer.text.count('class="result-skipped"') == 1
    assert [await step_of(browser, c) for c in ready] == ["decided", "decided"]
    assert await step_of(browser, early) == "township_review"


async def test_bulk_approval_of_nothing_is_named_at_the_selection(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    case_id = await harbin_case(browser, 125, "certificate", "dibao")
    await advance(browser, case_id, "county_approval")
    await browser.sign_in("county_civil_affairs", HARBIN_COUNTY)
    await browser.page("/review/worklist", step="county_approval")

    answer = await browser.submit("/review/approvals", {"reason": "本月集中审定"})

    assert answer.status_code == 422
    assert element(answer.text, "application_ids-error") is not None
    assert "本月集中审定" in answer.text  # the reason typed is kept
    assert element(answer.text, f"select-{case_id}") is not None
