"""受理 (the window clerk): 一次性告知, the application form, materials, receipt, decision, notification, worklist.

Thin handlers: each gathers the API calls it needs (in parallel where they are independent) and renders one
template. Every rule stays in the services; the checks as you type run the same shared code the services run.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile
from subsidy_shared.certificates import parse_certificate_number
from subsidy_shared.ids import InvalidIdNumber, validate_id_number
from subsidy_shared.regions import InvalidRegion, Region, children, parse_region

from workbench.api import Api, Problem
from workbench.rules_words import (
    CATEGORY_NAMES,
    CLOCK_STATE_NAMES,
    GRADE_NAMES,
    OUTCOME_NAMES,
    SCOPE_NAMES,
    rule_words,
)
from workbench.session import CsrfChecked, CurrentUser, User
from workbench.templating import CHINA, SUBSIDY_NAMES, china_time, templates
from workbench.templating import render as _render

router = APIRouter()

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
# The worst state a case's clocks are in, for the list and its filter.
CLOCK_FILTERS = {"breached": "已超期", "at_risk": "临期", "on_time": "按时"}
_SEVERITY = {"breached": 3, "at_risk": 2, "on_time": 1}
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
# The fields of the application form, in the order the error summary lists them.
FORM_FIELDS = (
    "applicant.id_number",
    "applicant.name",
    "applicant.phone",
    "hukou_region",
    "certificate_number",
    "subsidies",
    "bank_account.bank",
    "bank_account.account_number",
    "bank_account.holder_name",
    "agent.id_number",
    "agent.name",
    "agent.relation",
    "agent.phone",
)
TEXT_FIELDS = tuple(f for f in FORM_FIELDS if f != "subsidies")
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


# ---- words ----------------------------------------------------------------------------------------

# The services' messages (English, for developers) in the window's words; anything else is shown as it is.
_MESSAGES: tuple[tuple[str, str], ...] = (
    ("field required", "请填写此项"),
    ("an id number has 18 characters", "身份证号应为18位"),
    ("an id number is 17 digits followed by a digit or x", "身份证号应为17位数字加1位数字或X"),
    ("the birth date inside the id number is not a real date", "身份证号中的出生日期不是真实日期"),
    ("the birth date inside the id number is not a plausible date", "身份证号中的出生日期不合理"),
    ("the check digit does not match", "身份证号校验位不正确，请核对（GB 11643）"),
    ("a certificate number has 20 characters", "残疾人证号应为20位：18位身份证号加残疾类别和等级各1位"),
    ("the 19th character is the category", "残疾人证号第19位是残疾类别，应为1（视力）至7（多重）"),
    ("the 20th character is the grade", "残疾人证号第20位是残疾等级，应为1（一级）至4（四级）"),
    ("certificate_number must begin with the applicant's id number", "残疾人证号的前18位应与申请人身份证号一致"),
    ("the agent (代办人) is someone other than the applicant", "代办人应是申请人以外的人"),
    ("a region code has 6 (county), 9 (township) or 12 (village) digits", "户籍地代码应为6位（县）或9位（乡镇、街道）"),
    ("is not a gb/t 2260 region code", "户籍地代码的前6位不是有效的县级行政区划代码（GB/T 2260）"),
    ("a township code does not end in 000", "乡镇（街道）代码的后3位不能是000"),
    ("a mobile number", "请填写11位手机号，或带区号的固定电话（如 0451-86661234）"),
    ("a person's name", "姓名只能由文字组成，·、'、- 或空格只能在中间"),
    ("a bank account number is 12 to 30 digits", "银行账号应为12至30位数字"),
    ("list should have at least 1 item", "请至少选择一项补贴"),
    ("each subsidy is asked for once", "每项补贴只能选择一次"),
    ("string should have at least", "填写的内容太短"),
    ("string should have at most", "填写的内容太长"),
    ("input should be 'guardian'", "请选择代办人与申请人的关系"),
    ("input should be 'sms'", "请选择告知方式"),
    ("one line only", "只能填写一行，不能有换行或制表符"),
    ("text holds a control character", "含有不可见的控制字符"),
    ("a notification is recorded after it happened", "告知时间不能晚于现在"),
    ("the applicant cannot be told before the result came back", "告知时间不能早于结果返回的时间"),
    ("the result has not come back to this window yet", "户籍地的办理结果还没有返回本窗口，暂不能记录告知"),
    ("a material is a pdf, jpeg or png file", "材料须为 PDF、JPEG 或 PNG 文件（按文件内容检查）"),
    ("the file is empty", "文件是空的"),
    ("a material may be at most", "文件太大"),
    ("materials can no longer be added", "案件已推送户籍地，不能再补交材料"),
    ("not a material of this application's checklist", "不是本申请清单中的材料"),
    ("no person", "本辖区内没有此身份证号的申请记录"),
    ("a window clerk acts for a township", "受理窗口属于乡镇（街道）：请用9位行政区划代码登录"),
)


def zh(message: str) -> str:
    """A service's message in the window's words (its own text when there is no translation)."""
    text = message.removeprefix("Value error, ").strip()
    lowered = text.lower()
    for english, chinese in _MESSAGES:
        if english in lowered:
            return chinese
    if "already" in lowered and "重复领取" in text:
        return "此人已有同一补贴的申请或正在享受该补贴（不得重复领取）"
    return text


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
        found.setdefault(name, zh(message))
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


# ---- regions: named by GB/T 2260, picked province → city → county, then the township code ----------

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


def _options(code: str) -> tuple[Region, ...]:
    """The next level's choices; a city without counties (东莞市) is its own only choice."""
    found = children(code)
    if found:
        return found
    try:
        return (parse_region(code),)
    except InvalidRegion:
        return ()


@dataclass(frozen=True)
class RegionPick:
    """The picker's state: the chosen province, city and county, their choices, and the code typed after them."""

    province: str
    city: str
    county: str
    code: str
    provinces: tuple[Region, ...]
    cities: tuple[Region, ...]
    counties: tuple[Region, ...]


def pick_region(values: Mapping[str, Any], *, follow_selects: bool) -> RegionPick:
    """From the form: the selects win when one was just changed; otherwise a valid typed code sets them."""
    code = str(values.get("hukou_region", "") or "").strip()
    province = str(values.get("region_province", "") or "")
    city = str(values.get("region_city", "") or "")
    county = str(values.get("region_county", "") or "")
    if not follow_selects:
        try:
            parse_region(code)
            province, city, county = code[:2] + "0000", code[:4] + "00", code[:6]
        except InvalidRegion:
            pass
    provinces = children(None)
    province = province if province in {p.code for p in provinces} else ""
    cities = _options(province) if province else ()
    city = city if city in {c.code for c in cities} else ""
    counties = _options(city) if city else ()
    county = county if county in {c.code for c in counties} else ""
    if follow_selects and not (county and code.startswith(county)):
        code = county  # the clerk adds the 3-digit township code after it (none yet: nothing stale is kept)
    return RegionPick(province, city, county, code, provinces, cities, counties)


# ---- checks as you type (the shared code the services run) ------------------------------------------

CHECKED = {"applicant.id_number", "agent.id_number", "id_number", "certificate_number", "hukou_region"}


def check_value(field: str, value: str) -> tuple[bool, str]:
    """(ok, words) for one field's value."""
    if field.endswith("id_number"):
        try:
            number = validate_id_number(value)
        except InvalidIdNumber as exc:
            return False, zh(str(exc))
        born = f"{number[6:10]}年{int(number[10:12])}月{int(number[12:14])}日"
        return True, f"格式和校验位正确 · 出生日期 {born}"
    if field == "certificate_number":
        try:
            certificate = parse_certificate_number(value)
        except ValueError as exc:
            return False, zh(str(exc))
        category = CATEGORY_NAMES.get(certificate.category, str(certificate.category))
        grade = GRADE_NAMES.get(certificate.grade, str(certificate.grade))
        return True, f"残疾类别：{category} · 残疾等级：{grade}"
    try:
        parse_region(value.strip())
    except InvalidRegion as exc:
        return False, zh(str(exc))
    code = value.strip()
    more = "" if len(code) >= 9 else " · 请在后面补上3位乡镇（街道）代码"
    return True, region_words(code) + more


@router.post("/window/check/{field}")
async def check_field(request: Request, field: str, user: CurrentUser, _: CsrfChecked) -> Response:
    """htmx: the message beside a field while it is typed (always 200, so htmx swaps it in)."""
    if field not in CHECKED:
        return render(request, "window/_check.html", status_code=404, id="unknown", ok=False, words="")
    form = await request.form()
    value = str(form.get(field, "") or "").strip()
    ok, words = check_value(field, value) if value else (True, "")
    return render(request, "window/_check.html", id=field.replace(".", "-"), ok=ok, words=words)


@router.get("/window/regions")
async def region_picker(request: Request, user: CurrentUser) -> Response:
    """htmx: the picker again after a select changed (the page's own form does the same without JS)."""
    pick = pick_region(request.query_params, follow_selects=True)
    return render(request, "window/_region.html", pick=pick, errors={}, required=True)


# ---- 一次性告知 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequirementsAsk:
    pick: RegionPick
    subsidies: list[str]
    proxy: bool

    @property
    def query(self) -> list[tuple[str, str]]:
        pairs = [("hukou_region", self.pick.code)] + [("subsidies", s) for s in self.subsidies]
        return pairs + ([("proxy", "1")] if self.proxy else [])


def _requirements_ask(request: Request) -> RequirementsAsk:
    params = request.query_params
    pick = pick_region(params, follow_selects=params.get("action") == "region")
    asked = [s for s in params.getlist("subsidies") if s in SUBSIDIES]
    subsidies = asked if asked or "hukou_region" in params else list(SUBSIDIES)
    return RequirementsAsk(pick, subsidies, params.get("proxy") in ("1", "true", "on"))


async def _checklist(request: Request, user: User, ask: RequirementsAsk) -> tuple[Any, dict[str, str]]:
    if not ask.pick.code:
        params = request.query_params
        asked = params.get("action") != "region" and ("region_province" in params or "hukou_region" in params)
        return None, ({"hukou_region": "请选择到县（市、区），或填写户籍地代码"} if asked else {})
    try:
        answer = await api_of(request).get(
            user,
            "intake",
            "/v1/requirements",
            hukou_region=ask.pick.code,
            subsidies=ask.subsidies or list(SUBSIDIES),
            proxy=str(ask.proxy).lower(),
        )
    except Problem as problem:
        if problem.status != 422:
            raise
        return None, form_errors(problem, ("hukou_region", "subsidies", "proxy"))
    return answer, {}


@router.get("/window/requirements")
async def requirements_page(request: Request, user: CurrentUser) -> Response:
    ask = _requirements_ask(request)
    checklist, errors = await _checklist(request, user, ask)
    return render(
        request,
        "window/requirements.html",
        status_code=422 if errors else 200,
        ask=ask,
        checklist=checklist,
        errors=errors,
    )


@router.get("/window/requirements/print")
async def requirements_print(request: Request, user: CurrentUser) -> Response:
    ask = _requirements_ask(request)
    checklist, errors = await _checklist(request, user, ask)
    if checklist is None:
        return render(request, "window/requirements.html", status_code=422, ask=ask, checklist=None, errors=errors)
    return render(request, "window/requirements_print.html", ask=ask, checklist=checklist, office=office_words(user))


# ---- the application form -------------------------------------------------------------------------


def form_values(form: Mapping[str, Any], subsidies: Sequence[str], has_agent: bool) -> dict[str, Any]:
    values: dict[str, Any] = {name: str(form.get(name, "") or "") for name in TEXT_FIELDS}
    values["subsidies"] = [s for s in subsidies if s in SUBSIDIES]
    values["has_agent"] = has_agent
    return values


def application_body(values: Mapping[str, Any]) -> dict[str, Any]:
    """The API body from the form, field by field as typed (an empty optional phone is no phone)."""

    def text(name: str) -> str:
        return str(values.get(name, "")).strip()

    body: dict[str, Any] = {
        "applicant": {
            "id_number": text("applicant.id_number"),
            "name": text("applicant.name"),
            "phone": text("applicant.phone") or None,
        },
        "hukou_region": text("hukou_region"),
        "certificate_number": text("certificate_number"),
        "subsidies": list(values.get("subsidies", [])),
        "bank_account": {
            "bank": text("bank_account.bank"),
            "account_number": text("bank_account.account_number"),
            "holder_name": text("bank_account.holder_name"),
        },
        "agent": None,
    }
    if values.get("has_agent"):
        body["agent"] = {
            "id_number": text("agent.id_number"),
            "name": text("agent.name"),
            "relation": text("agent.relation"),
            "phone": text("agent.phone") or None,
        }
    return body


def _form_page(
    request: Request, values: Mapping[str, Any], pick: RegionPick, errors: Mapping[str, str], status: int
) -> Response:
    return render(
        request,
        "window/new.html",
        status_code=status,
        values=values,
        pick=pick,
        errors=errors,
        relations=RELATION_NAMES,
    )


@router.get("/window/applications/new")
async def new_application(request: Request, user: CurrentUser) -> Response:
    """The empty form; `?hukou_region=&subsidies=&has_agent=1` carries over what 一次性告知 was asked for."""
    params = request.query_params
    asked = params.getlist("subsidies")
    values = form_values({"hukou_region": params.get("hukou_region", "")}, asked or SUBSIDIES, "has_agent" in params)
    pick = pick_region(values, follow_selects=False)
    return _form_page(request, values, pick, {}, 200)


@router.post("/window/applications/new")
async def submit_application(request: Request, user: CurrentUser, _: CsrfChecked) -> Response:
    """提交申请 → 303 to the application; refused → the same form, the service's message at each field.

    `action`: `region` (the picker's next level, without JS), `review` (check your answers), `edit` (back).
    """
    form = await request.form()
    action = str(form.get("action", "submit"))
    subsidies = [str(s) for s in form.getlist("subsidies")]
    values = form_values(form, subsidies, bool(form.get("has_agent")))
    pick = pick_region(form, follow_selects=action == "region")
    values["hukou_region"] = pick.code
    if action in ("region", "edit"):
        return _form_page(request, values, pick, {}, 200)
    if action == "review":
        return render(
            request,
            "window/check.html",
            values=values,
            pick=pick,
            relations=RELATION_NAMES,
        )
    try:
        created = await api_of(request).post(user, "intake", "/v1/applications", application_body(values))
    except Problem as problem:
        if problem.status not in (403, 409, 422):
            raise
        errors = form_errors(problem, FORM_FIELDS)
        return _form_page(request, values, pick, errors, 422 if problem.status == 422 else problem.status)
    return RedirectResponse(f"/window/applications/{created['id']}", status_code=303)


# ---- one application ------------------------------------------------------------------------------


def worst_clock(deadlines: Iterable[Mapping[str, Any]]) -> str | None:
    """The worst state among a case's clocks (breached, at risk, on time); None when none is running."""
    states = [str(d.get("state")) for d in deadlines if str(d.get("state")) in _SEVERITY]
    return max(states, key=_SEVERITY.__getitem__) if states else None


def _clocks(detail: Mapping[str, Any], case: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Routing keeps the authoritative clocks once it has the case; before that, intake's view."""
    found = {str(d["name"]): dict(d) for d in (case or {}).get("deadlines") or detail.get("deadlines") or []}
    return [found[name] for name in WINDOW_CLOCK_NAMES if name in found]


def _material_labels(detail: Mapping[str, Any]) -> dict[str, str]:
    labels = {str(item["kind"]): str(item["label"]) for item in detail.get("required_materials", [])}
    return {**labels, "other": labels.get("other", "其他材料")}


def _step_words(step: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """What a timeline entry's detail says, in words."""
    detail = step.get("detail") or {}
    name = step.get("step")
    if name == "received":
        told = len(detail.get("required_materials", []))
        return f"受理窗口 {region_words(detail.get('accepting_region'))}；一次性告知材料 {told} 项"
    if name == "material_added":
        return labels.get(str(detail.get("kind")), str(detail.get("kind", "")))
    if name == "pushed":
        words = f"业务属地 {region_name(detail.get('locality_county'))}"
        if detail.get("scope"):
            words += f" · {SCOPE_NAMES.get(str(detail['scope']), str(detail['scope']))}"
        if detail.get("decision_due"):
            words += f" · 认定期限 {detail['decision_due']}"
        return words
    if name == "decided":
        approved = "、".join(SUBSIDY_NAMES.get(s, s) for s in detail.get("approved", []))
        refused = "、".join(SUBSIDY_NAMES.get(s, s) for s in detail.get("refused", []))
        parts = ([f"批准：{approved}"] if approved else []) + ([f"不予批准：{refused}"] if refused else [])
        return "；".join(parts) + (f"；请于 {detail['notify_due']} 前告知申请人" if detail.get("notify_due") else "")
    if name == "notified":
        return CHANNEL_NAMES.get(str(detail.get("channel")), str(detail.get("channel", "")))
    if name == "withdrawn":
        return str(detail.get("reason", ""))
    if name == "deadline_breached":
        clock = WINDOW_CLOCK_NAMES.get(str(detail.get("deadline")), str(detail.get("deadline", "")))
        return f"{clock} · 应于 {detail.get('due_date', '')}"
    if name == "payment_failed":
        amount = detail.get("amount_fen")
        money = templates.env.filters["yuan"](amount) if amount is not None else ""
        subsidy = SUBSIDY_NAMES.get(str(detail.get("subsidy")), str(detail.get("subsidy", "")))
        return f"{subsidy} {month_words(detail.get('month'))} {money}：{detail.get('reason', '')}（请核对银行账户）"
    return ""


async def _application(request: Request, user: User, application_id: uuid.UUID) -> tuple[Any, Any]:
    """Intake's application and routing's case (None until routed), at once."""
    api = api_of(request)
    detail, case = await gather(
        api.get(user, "intake", f"/v1/applications/{application_id}"),
        unless_missing(api.get(user, "routing", f"/v1/cases/{application_id}")),
    )
    return detail, case


def _application_page(
    request: Request,
    detail: Any,
    case: Any,
    *,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
    values: Mapping[str, Any] | None = None,
) -> Response:
    params = request.query_params
    return render(
        request,
        "window/application.html",
        status_code=status,
        app=detail,
        case=case,
        clocks=_clocks(detail, case),
        labels=_material_labels(detail),
        errors=errors or {},
        values=values or {},
        uploaded=params.get("uploaded", ""),
        notified=params.get("notified", ""),
        channels=CHANNEL_NAMES,
    )


@router.get("/window/applications/{application_id}")
async def application_page(request: Request, application_id: uuid.UUID, user: CurrentUser) -> Response:
    detail, case = await _application(request, user, application_id)
    return _application_page(request, detail, case)


async def _upload(api: Api, user: User, application_id: uuid.UUID, kind: str, upload: UploadFile) -> Any:
    content = await upload.read()
    files = {"file": (upload.filename or f"{kind}.pdf", content, upload.content_type or "application/octet-stream")}
    response = await api.send(
        user, "intake", "POST", f"/v1/applications/{application_id}/materials", data={"kind": kind}, files=files
    )
    return response.json()


def _uploads(form: FormData) -> list[tuple[str, UploadFile]]:
    """Every chosen file of the form: (kind, file), from the inputs `file.<kind>` (several files each)."""
    found: list[tuple[str, UploadFile]] = []
    for name, value in form.multi_items():
        if name.startswith("file.") and isinstance(value, UploadFile) and (value.filename or value.size):
            found.append((name.removeprefix("file."), value))
    return found


@router.post("/window/applications/{application_id}/materials")
async def upload_materials(request: Request, application_id: uuid.UUID, user: CurrentUser, _: CsrfChecked) -> Response:
    """Several files in one go: each goes to intake as its own multipart upload."""
    form = await request.form()
    chosen = _uploads(form)
    api = api_of(request)
    if not chosen:
        detail, case = await _application(request, user, application_id)
        return _application_page(request, detail, case, errors={GENERAL: "请选择要上传的材料文件"}, status=422)
    errors: dict[str, str] = {}
    done = 0
    # One after another, in the form's order: intake takes each under the application's lock anyway, and so
    # the timeline lists them as handed in (材料收齐 after the last). A refused file does not stop the others.
    for kind, upload in chosen:
        try:
            await _upload(api, user, application_id, kind, upload)
        except Problem as problem:
            message = zh(next((str(e.get("msg", "")) for e in problem.errors), "") or problem.detail or problem.title)
            errors.setdefault(f"file.{kind}", f"{upload.filename}：{message}")
        else:
            done += 1
    if errors:
        detail, case = await _application(request, user, application_id)
        return _application_page(request, detail, case, errors=errors, status=422, values={"uploaded_now": done})
    return RedirectResponse(f"/window/applications/{application_id}?uploaded={done}", status_code=303)


def _notified_at(value: str) -> str | None:
    """A datetime-local value (Beijing time) as an instant; empty means now."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return value  # the service names what is wrong with it
    return (moment if moment.tzinfo else moment.replace(tzinfo=CHINA)).isoformat()


@router.post("/window/applications/{application_id}/notifications")
async def record_notification(
    request: Request,
    application_id: uuid.UUID,
    user: CurrentUser,
    _: CsrfChecked,
    channel: Annotated[str, Form()] = "",
    notified_at: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """记录已告知: how and when the applicant was told the result."""
    body: dict[str, Any] = {"channel": channel, "notified_at": _notified_at(notified_at), "note": note.strip() or None}
    try:
        await api_of(request).post(user, "intake", f"/v1/applications/{application_id}/notifications", body)
    except Problem as problem:
        if problem.status not in (409, 422):
            raise
        detail, case = await _application(request, user, application_id)
        errors = form_errors(problem, ("channel", "notified_at", "note"))
        values = {"channel": channel, "notified_at": notified_at, "note": note}
        return _application_page(request, detail, case, errors=errors, status=problem.status, values=values)
    return RedirectResponse(f"/window/applications/{application_id}?notified=1", status_code=303)


@router.get("/window/applications/{application_id}/receipt")
async def receipt(request: Request, application_id: uuid.UUID, user: CurrentUser) -> Response:
    """受理回执 (print view): what was handed in, what is still missing, what happens next."""
    detail = await api_of(request).get(user, "intake", f"/v1/applications/{application_id}")
    return render(
        request,
        "window/receipt.html",
        app=detail,
        labels=_material_labels(detail),
        clocks=_clocks(detail, None),
        office=office_words(user),
        today=_today(),
    )


@router.get("/window/applications/{application_id}/notice")
async def notice(request: Request, application_id: uuid.UUID, user: CurrentUser) -> Response:
    """决定通知书 (print view): each subsidy's result, amount and first month, or the reasons for a refusal."""
    detail = await api_of(request).get(user, "intake", f"/v1/applications/{application_id}")
    if not detail.get("decision"):
        return render(
            request,
            "error.html",
            status_code=409,
            title="尚无办理结果",
            detail="户籍地的认定结果返回本窗口后才能打印决定通知书。",
        )
    return render(request, "window/notice.html", app=detail, office=office_words(user), today=_today())


def _today() -> date:
    return datetime.now(CHINA).date()


# ---- this window's applications -------------------------------------------------------------------


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
    """The filters the list API does not have: this window, status, date handed in."""
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
    api = api_of(request)
    rows: list[dict[str, Any]] = []
    next_cursor: str | None = cursor or None
    for _ in range(API_PAGES):
        limit = API_PAGE if filters.active else LIST_PAGE
        page = await api.get(user, "intake", "/v1/applications", limit=limit, cursor=next_cursor)
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
        if not next_cursor or len(rows) >= LIST_PAGE or not filters.active:
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


templates.env.globals.update(
    STATUS_NAMES=STATUS_NAMES,
    WINDOW_CLOCK_NAMES=WINDOW_CLOCK_NAMES,
    CLOCK_STATE_NAMES=CLOCK_STATE_NAMES,
    OUTCOME_NAMES=OUTCOME_NAMES,
    SCOPE_NAMES=SCOPE_NAMES,
    CHANNEL_NAMES=CHANNEL_NAMES,
    RELATION_NAMES=RELATION_NAMES,
    region_name=region_name,
    region_words=region_words,
    month_words=month_words,
    size_words=size_words,
    rule_words=rule_words,
    step_words=_step_words,
    STEP_NAMES=STEP_NAMES,
    check_value=check_value,
    china_time=china_time,
)
