"""The window's application pages over the real services: form, materials, clocks, receipt, decision, notice.

The bus is not running here: `route` and `decide` hand the services' own outbox events to the next service's
handlers, as Kafka would.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from intake_service.consumers import SUBSCRIPTIONS as INTAKE_SUBSCRIPTIONS
from routing_service.consumers import subscriptions as routing_subscriptions
from routing_service.settings import Settings as RoutingSettings
from subsidy_shared.events import (
    ApplicationSubmitted,
    EligibilityDecided,
    EligibilityDecidedData,
    Event,
    PaymentFailed,
    PaymentFailedData,
    Reason,
    SubsidyDecision,
)

from tests.conftest import JPEG_BYTES, PDF_BYTES, PNG_BYTES, ServiceDatabase, application_body
from tests.service_api import outbox_events
from tests.workbench.conftest import Workbench

WINDOW = "230102001"  # a street office in Harbin's 道里区
OTHER_WINDOW = "230103001"  # 南岗区: another window of the same city
HUKOU = "510104001"  # 成都 锦江区: a cross-province application
NATIONAL = ["application_form", "id_card", "household_register", "disability_certificate", "photo", "bank_card"]
CHINA = ZoneInfo("Asia/Shanghai")
UUID = re.compile(r"^/window/applications/([0-9a-f-]{36})$")


# ---- helpers other window tests use ---------------------------------------------------------------


async def clerk(workbench: Callable[..., Any], region: str = WINDOW, down: tuple[str, ...] = ()) -> Workbench:
    browser: Workbench = await workbench(down=down)
    await browser.sign_in("window_clerk", region, "王窗口")
    return browser


def form_of(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """An API application body as the form's fields (`applicant.id_number`, …), with changes by field name."""
    form: dict[str, Any] = {
        "applicant.id_number": body["applicant"]["id_number"],
        "applicant.name": body["applicant"]["name"],
        "applicant.phone": body["applicant"]["phone"] or "",
        "hukou_region": body["hukou_region"],
        "certificate_number": body["certificate_number"],
        "subsidies": list(body["subsidies"]),
        "bank_account.bank": body["bank_account"]["bank"],
        "bank_account.account_number": body["bank_account"]["account_number"],
        "bank_account.holder_name": body["bank_account"]["holder_name"],
    }
    form.update(changes)
    return form


async def file_application(browser: Workbench, sequence: int, **changes: Any) -> str:
    """提交申请 through the form; returns the new application's id."""
    answer = await browser.submit("/window/applications/new", form_of(application_body(sequence=sequence), **changes))
    assert answer.status_code == 303, answer.text
    found = UUID.match(answer.headers["location"])
    assert found, answer.headers["location"]
    return found.group(1)


def files_for(kinds: list[str]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [(f"file.{kind}", (f"{kind}.pdf", PDF_BYTES, "application/pdf")) for kind in kinds]


async def hand_in(browser: Workbench, application_id: str, kinds: list[str]) -> None:
    answer = await browser.submit(f"/window/applications/{application_id}/materials", files=files_for(kinds))
    assert answer.status_code == 303, answer.text


def missing(html: str) -> list[str]:
    """The kinds in the page's `ul.missing-materials`."""
    found = re.search(r'<ul class="missing-materials">(.*?)</ul>', html, re.S)
    return re.findall(r'data-kind="([a-z_]+)"', found.group(1)) if found else []


async def _apply(db: ServiceDatabase, handler: Any, event: Event) -> None:
    async with db.sessionmaker() as session, session.begin():
        await handler(event, session)


def _routing_handlers(browser: Workbench) -> dict[str, Any]:
    settings = RoutingSettings(env="test", database_url=browser.databases["routing"].url, run_background_tasks=False)
    return dict(routing_subscriptions(settings).handlers)


async def _relay(browser: Workbench, source: str, target: str, event_type: str, application_id: str) -> Event:
    """The newest `event_type` about the application from `source`'s outbox, handled by `target`."""
    events = [e for e in await outbox_events(browser.databases[source], event_type) if e.subject == application_id]
    assert events, f"{source} queued no {event_type} for {application_id}"
    handlers = _routing_handlers(browser) if target == "routing" else dict(INTAKE_SUBSCRIPTIONS.handlers)
    await _apply(browser.databases[target], handlers[event_type], events[-1])
    return events[-1]


async def route(browser: Workbench, application_id: str) -> None:
    """Materials complete → routing takes the case → intake learns it went to its locality."""
    await _relay(browser, "intake", "routing", "subsidy.application.submitted.v1", application_id)
    await _relay(browser, "routing", "intake", "subsidy.case.routed.v1", application_id)


async def submitted(browser: Workbench, application_id: str) -> ApplicationSubmitted:
    """The event intake queued when the application's materials were complete."""
    events = await outbox_events(browser.databases["intake"], "subsidy.application.submitted.v1")
    found = [e for e in events if e.subject == application_id]
    assert found and isinstance(found[-1], ApplicationSubmitted)
    return found[-1]


async def decide(browser: Workbench, application_id: str, decisions: list[SubsidyDecision]) -> None:
    """The locality decided (eligibility's event) → routing returns the result → intake's window has it."""
    data = (await submitted(browser, application_id)).data
    decided = EligibilityDecided(
        source="liangbu/eligibility",
        subject=application_id,
        data=EligibilityDecidedData(
            application_id=uuid.UUID(application_id),
            person_key=data.person_key,
            beneficiary=data.applicant,
            hukou_region=data.hukou_region,
            accepting_region=data.accepting_region,
            certificate_number=data.certificate_number,
            bank_account=data.bank_account,
            submitted_at=data.submitted_at,
            decided_at=datetime.now(UTC),
            decided_by="county-510104",
            policy_version="51-2026-01",
            decisions=tuple(decisions),
        ),
    )
    await _apply(browser.databases["routing"], _routing_handlers(browser)["subsidy.eligibility.decided.v1"], decided)
    await _relay(browser, "routing", "intake", "subsidy.case.result_returned.v1", application_id)


APPROVED_NURSING = SubsidyDecision(
    subsidy="nursing",
    outcome="approved",
    reasons=(Reason(rule_id="E2", text="一级肢体残疾，需要长期照护"),),
    tier="一级",
    monthly_amount_fen=9000,
    start_month="2026-05",
)
REFUSED_LIVING = SubsidyDecision(
    subsidy="living", outcome="refused", reasons=(Reason(rule_id="E1", text="不属于低保家庭"),)
)


# ---- the form -------------------------------------------------------------------------------------


async def test_a_bad_id_number_is_named_at_its_field_and_nothing_typed_is_lost(
    workbench: Callable[..., Any],
) -> None:
    browser = await clerk(workbench)
    body = application_body(sequence=1)
    good = body["applicant"]["id_number"]
    bad = good[:17] + ("0" if good[17] != "0" else "1")  # the check digit no longer matches

    answer = await browser.submit("/window/applications/new", form_of(body, **{"applicant.id_number": bad}))

    assert answer.status_code == 422
    page = answer.text
    assert 'class="error-summary"' in page and 'href="#applicant-id_number"' in page
    assert 'id="applicant-id_number-error"' in page and "校验位" in page
    assert 'aria-invalid="true" aria-describedby="applicant-id_number-error"' in page
    for kept in (bad, "张小三", "中国农业银行", "6228480000000000000", body["certificate_number"], HUKOU):
        assert f'value="{kept}"' in page, kept
    assert re.search(r'id="subsidies-living"[^>]*checked', page) and re.search(
        r'id="subsidies-nursing"[^>]*checked', page
    )
    assert 'id="region_county"' in page and '<option value="510104" selected>锦江区</option>' in page


async def test_a_good_application_goes_to_its_page_with_the_materials_still_missing(
    workbench: Callable[..., Any],
) -> None:
    browser = await clerk(workbench)

    application_id = await file_application(browser, 2)
    page = await browser.page(f"/window/applications/{application_id}")

    assert page.status_code == 200
    assert missing(page.text) == NATIONAL
    assert "待补材料" in page.text and "张*三" in page.text
    assert f'href="/window/applications/{application_id}/receipt"' in page.text and "打印受理回执" in page.text
    assert 'name="file.id_card"' in page.text and 'id="file-id_card"' in page.text and "上传材料" in page.text
    assert "四川省 成都市 锦江区" in page.text


async def test_the_service_names_each_refused_field_and_a_whole_form_error_gets_a_field(
    workbench: Callable[..., Any],
) -> None:
    browser = await clerk(workbench)
    body = application_body(sequence=3)
    other = application_body(sequence=4)

    answer = await browser.submit(
        "/window/applications/new",
        form_of(
            body,
            **{
                "certificate_number": other["certificate_number"],  # someone else's certificate
                "applicant.phone": "12",
                "subsidies": [],
            },
        ),
    )

    assert answer.status_code == 422
    assert 'id="applicant-phone-error"' in answer.text and 'id="subsidies-error"' in answer.text
    assert "请至少选择一项补贴" in answer.text

    fixed = await browser.submit(
        "/window/applications/new", form_of(body, certificate_number=other["certificate_number"])
    )
    assert fixed.status_code == 422
    assert 'id="certificate_number-error"' in fixed.text and "前18位应与申请人身份证号一致" in fixed.text


async def test_a_second_open_application_for_the_same_person_is_refused_in_words(
    workbench: Callable[..., Any],
) -> None:
    browser = await clerk(workbench)
    await file_application(browser, 18)

    again = await browser.submit("/window/applications/new", form_of(application_body(sequence=18)))

    assert again.status_code == 409 and 'class="error-summary"' in again.text
    assert "不得重复领取" in again.text and 'value="张小三"' in again.text


async def test_an_agent_files_for_the_applicant_and_the_checklist_asks_for_the_proxy_papers(
    workbench: Callable[..., Any],
) -> None:
    browser = await clerk(workbench)
    agent = application_body(sequence=9)["applicant"]
    agent_fields = {
        "has_agent": "1",
        "agent.id_number": agent["id_number"],
        "agent.name": "李代办",
        "agent.relation": "family",
        "agent.phone": "",
    }

    application_id = await file_application(browser, 5, **agent_fields)
    page = await browser.page(f"/window/applications/{application_id}")

    assert "委托代办" in page.text
    assert {"agent_id_card", "proxy_relation_proof", "commitment_letter"} <= set(missing(page.text))

    same = application_body(sequence=6)
    refused = await browser.submit(
        "/window/applications/new",
        form_of(same, **{**agent_fields, "agent.id_number": same["applicant"]["id_number"]}),
    )
    assert refused.status_code == 422 and 'id="agent-id_number-error"' in refused.text
    assert 'id="has_agent" name="has_agent" value="1" checked' in refused.text


async def test_check_your_answers_then_submit(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)
    form = form_of(application_body(sequence=7))

    check = await browser.submit("/window/applications/new", {**form, "action": "review"})

    assert check.status_code == 200 and "请核对申请信息" in check.text
    assert f'name="applicant.id_number" value="{form["applicant.id_number"]}"' in check.text
    assert "重度残疾人护理补贴" in check.text and "提交申请" in check.text

    back = await browser.submit("/window/applications/new", {**form, "action": "edit"})
    assert back.status_code == 200 and f'value="{form["applicant.id_number"]}"' in back.text

    submitted = await browser.submit("/window/applications/new", {**form, "action": "submit"})
    assert submitted.status_code == 303


async def test_the_id_certificate_and_region_are_checked_as_you_type(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)
    good = application_body(sequence=8)["applicant"]["id_number"]

    def check(field: str, value: str) -> Any:
        return browser.client.post(
            f"/window/check/{field}", data={field: value}, headers={"X-CSRF-Token": browser.csrf}
        )

    bad_id = await check("applicant.id_number", good[:17] + ("0" if good[17] != "0" else "1"))
    good_id = await check("applicant.id_number", good)
    certificate = await check("certificate_number", good + "41")
    bad_certificate = await check("certificate_number", good + "91")
    region = await check("hukou_region", "510104001")
    bad_region = await check("hukou_region", "999999001")

    assert bad_id.status_code == 200 and 'id="applicant-id_number-check"' in bad_id.text and "校验位" in bad_id.text
    assert "check-bad" in bad_id.text and "check-ok" in good_id.text and "出生日期" in good_id.text
    assert "肢体" in certificate.text and "一级" in certificate.text
    assert "check-bad" in bad_certificate.text and "残疾类别" in bad_certificate.text
    assert "四川省 成都市 锦江区" in region.text and "check-bad" in bad_region.text
    forged = await browser.client.post("/window/check/hukou_region", data={"hukou_region": "510104001"})
    assert forged.status_code == 403


async def test_the_region_is_picked_by_name_with_and_without_javascript(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)
    form = form_of(application_body(sequence=10), hukou_region="")

    # Without JS: the picker's button sends the form back with the next level (and everything typed).
    cities = await browser.submit("/window/applications/new", {**form, "region_province": "510000", "action": "region"})
    counties = await browser.submit(
        "/window/applications/new",
        {**form, "region_province": "510000", "region_city": "510100", "action": "region"},
    )
    county = await browser.submit(
        "/window/applications/new",
        {**form, "region_province": "510000", "region_city": "510100", "region_county": "510104", "action": "region"},
    )
    # With htmx: only the picker is drawn again; a changed province clears the city and county below it.
    fragment = await browser.page(
        "/window/regions", region_province="440000", region_city="510100", region_county="510104", hukou_region="510104"
    )

    assert '<option value="510100">成都市</option>' in cities.text and 'value="张小三"' in cities.text
    assert '<option value="510104">锦江区</option>' in counties.text
    assert 'id="hukou_region" name="hukou_region" value="510104"' in county.text
    assert "<html" not in fragment.text and '<option value="440100">广州市</option>' in fragment.text
    assert '<option value="510100" selected>' not in fragment.text and 'value=""' in fragment.text
    dongguan = await browser.page("/window/regions", region_province="440000", region_city="441900")
    assert '<option value="441900">东莞市</option>' in dongguan.text.split('id="region_county"')[1]


# ---- materials ------------------------------------------------------------------------------------


async def test_several_files_in_one_go_and_the_missing_list_shrinks(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)
    application_id = await file_application(browser, 11)
    files = [
        ("file.id_card", ("id-front.pdf", PDF_BYTES, "application/pdf")),
        ("file.id_card", ("id-back.jpg", JPEG_BYTES, "image/jpeg")),
        ("file.photo", ("photo.png", PNG_BYTES, "image/png")),
        ("file.household_register", ("hukou.pdf", PDF_BYTES, "application/pdf")),
        ("file.bank_card", ("", b"", "application/octet-stream")),  # an input left empty
    ]

    answer = await browser.submit(f"/window/applications/{application_id}/materials", files=files)
    page = await browser.client.get(answer.headers["location"])

    assert answer.status_code == 303 and answer.headers["location"].endswith("?uploaded=4")
    assert "已上传 4 份材料" in page.text
    assert missing(page.text) == ["application_form", "disability_certificate", "bank_card"]
    assert "id-back.jpg" in page.text and 'name="file.photo"' not in page.text

    await hand_in(browser, application_id, ["application_form", "disability_certificate", "bank_card"])
    complete = await browser.page(f"/window/applications/{application_id}")
    assert missing(complete.text) == [] and "材料已收齐" in complete.text and "材料已齐" in complete.text
    assert 'id="clock-push"' in complete.text and "clock state-on_time" in complete.text


async def test_a_file_that_is_not_a_pdf_jpeg_or_png_is_named_at_its_input(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)
    application_id = await file_application(browser, 12)
    files = [
        ("file.id_card", ("id.pdf", PDF_BYTES, "application/pdf")),
        ("file.photo", ("photo.gif", b"GIF89a....", "image/gif")),
    ]

    answer = await browser.submit(f"/window/applications/{application_id}/materials", files=files)

    assert answer.status_code == 422
    assert 'id="file-photo-error"' in answer.text and "PDF、JPEG 或 PNG" in answer.text
    assert 'href="#file-photo"' in answer.text and "已上传 1 份材料" in answer.text
    assert "id_card" not in missing(answer.text) and "photo" in missing(answer.text)


# ---- clocks, receipt, decision, notice, notification ----------------------------------------------


async def test_the_receipt_prints_what_was_handed_in_and_what_is_missing(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)
    application_id = await file_application(browser, 13)
    await hand_in(browser, application_id, ["id_card"])

    receipt = await browser.page(f"/window/applications/{application_id}/receipt")

    assert receipt.status_code == 200 and "受理回执" in receipt.text
    assert application_id in receipt.text and "黑龙江省 哈尔滨市 道里区 受理窗口（230102001）" in receipt.text
    assert "身份证（id_card.pdf）" in receipt.text and "application_form" in missing(receipt.text)
    assert f"日期：{datetime.now(CHINA).date().isoformat()}" in receipt.text and "data-print" in receipt.text


async def test_the_decision_with_its_amount_the_notice_and_the_notification(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)
    application_id = await file_application(browser, 14)
    early_notice = await browser.page(f"/window/applications/{application_id}/notice")
    await hand_in(browser, application_id, NATIONAL)
    await route(browser, application_id)

    routed = await browser.page(f"/window/applications/{application_id}")
    await decide(browser, application_id, [APPROVED_NURSING, REFUSED_LIVING])
    decided = await browser.page(f"/window/applications/{application_id}")
    notice = await browser.page(f"/window/applications/{application_id}/notice")

    assert early_notice.status_code == 409 and "尚无办理结果" in early_notice.text
    assert "跨省通办" in routed.text and 'id="clock-decision"' in routed.text and "推送户籍地" in routed.text
    assert 'class="decision"' in decided.text and "已出结果，待告知" in decided.text
    decision = decided.text.split('class="decision"')[1]
    assert "重度残疾人护理补贴" in decision and "批准" in decision and "一级" in decision
    assert "90.00 元" in decision and "2026年5月" in decision and "不属于低保家庭" in decision
    assert 'id="clock-notify"' in decided.text and 'name="channel"' in decided.text and "记录已告知" in decided.text
    assert notice.status_code == 200 and "决定通知书" in notice.text and "90.00 元" in notice.text
    assert "不予批准" in notice.text and "黑龙江省 哈尔滨市 道里区" in notice.text

    told = await browser.submit(f"/window/applications/{application_id}/notifications", {"channel": "phone"})
    after = await browser.client.get(told.headers["location"])
    assert told.status_code == 303 and "已记录告知申请人" in after.text
    assert "已告知申请人" in after.text and 'id="notify-form"' not in after.text and "电话" in after.text

    # A month the bank did not pay reaches the timeline: the account is to be corrected at the window.
    failed = PaymentFailed(
        source="liangbu/payment",
        subject="pk",
        data=PaymentFailedData(
            run_id=uuid.uuid4(),
            person_key=(await submitted(browser, application_id)).data.person_key,
            subsidy="nursing",
            month="2026-06",
            amount_fen=9000,
            reason="账户已销户",
        ),
    )
    await _apply(browser.databases["intake"], INTAKE_SUBSCRIPTIONS.handlers["subsidy.payment.failed.v1"], failed)
    timeline = (await browser.page(f"/window/applications/{application_id}")).text.split('class="timeline"')[1]
    assert "发放失败" in timeline and "2026年6月 90.00 元：账户已销户" in timeline


async def test_a_notification_before_the_result_is_refused_in_words(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)
    application_id = await file_application(browser, 15)

    answer = await browser.submit(f"/window/applications/{application_id}/notifications", {"channel": "sms"})

    assert answer.status_code == 409 and "还没有返回本窗口" in answer.text


async def test_routing_down_gives_its_page_while_the_rest_keeps_working(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench, down=("routing",))
    application_id = await file_application(browser, 16)

    page = await browser.page(f"/window/applications/{application_id}")
    receipt = await browser.page(f"/window/applications/{application_id}/receipt")
    requirements = await browser.page("/window/requirements", hukou_region=HUKOU)

    assert page.status_code == 503 and "流转服务暂时无法使用" in page.text
    assert receipt.status_code == 200 and requirements.status_code == 200 and "身份证" in requirements.text


async def test_another_windows_application_is_not_found(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)
    application_id = await file_application(browser, 17)
    other = await clerk(workbench, OTHER_WINDOW)

    answer = await other.page(f"/window/applications/{application_id}")

    assert answer.status_code == 404 and "没有找到" in answer.text
