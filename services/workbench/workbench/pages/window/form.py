"""The application form: its fields, the checks as you type, the hukou region picker, check-your-answers, submit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from subsidy_shared.certificates import parse_certificate_number
from subsidy_shared.ids import InvalidIdNumber, validate_id_number
from subsidy_shared.regions import InvalidRegion, Region, children, parse_region

from workbench.api import Problem
from workbench.messages import zh
from workbench.pages.window.common import RELATION_NAMES, SUBSIDIES, api_of, form_errors, region_words, render
from workbench.rules_words import CATEGORY_NAMES, GRADE_NAMES
from workbench.session import CsrfChecked, CurrentUser

router = APIRouter()

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


# ---- regions: named by GB/T 2260, picked province → city → county, then the township code ----------


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
