"""Text PostgreSQL cannot store, months outside 1900–2099 and reports asked of a township are a 422 naming the
parameter, never a 500 (or an empty 200 csv), and nothing is written."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.conftest import ServiceDatabase
from tests.hostile import (
    BAD_MONTHS,
    HOSTILE,
    JSON,
    QUERY_HOSTILE,
    assert_refused,
    documented_pattern,
    multipart,
    raw_json,
    with_value,
)
from tests.payment.conftest import (
    CIVIL_AFFAIRS,
    HARBIN_COUNTY,
    HARBIN_TOWNSHIP,
    HL_ADMIN,
    Api,
    Beneficiary,
    apply,
    beneficiary,
    concluded,
    decided,
)

ABC = "中国农业银行"


async def _rows(db: ServiceDatabase) -> dict[str, Any]:
    counts = {
        t: await db.scalar(f"SELECT count(*) FROM {t}")
        for t in ("payment_runs", "payments", "backpay_approvals", "recoveries", "outbox")
    }
    counts["accounts"] = await db.scalar("SELECT string_agg(DISTINCT bank || account_number, ',') FROM entitlements")
    counts["returned"] = await db.scalar("SELECT count(*) FROM bank_lines WHERE result IS NOT NULL")
    return counts


async def _paid(api: Api, db: ServiceDatabase) -> tuple[Beneficiary, str]:
    """A beneficiary paid for 2026-11; returns them and the run id."""
    who = beneficiary(81)
    await apply(db, decided(who, submitted="2026-10-10"))
    return who, (await api.run("2026-11"))["id"]


# ---- free text in bodies -----------------------------------------------------------------------------


BANK_ACCOUNT = {
    "bank_account": {"bank": "中国工商银行", "account_number": "6222020000000000001", "holder_name": "张小三"},
    "reason": "原账户已销户",
}
BODY_FIELDS = [
    pytest.param("bank-account", BANK_ACCOUNT, ("bank_account", "bank"), "中国{}工商银行", id="bank-name"),
    pytest.param("bank-account", BANK_ACCOUNT, ("bank_account", "holder_name"), "张{}小三", id="holder-name"),
    pytest.param("bank-account", BANK_ACCOUNT, ("reason",), "原账户{}已销户", id="bank-account-reason"),
    pytest.param(
        "backpay", {"subsidy": "living", "months": 2, "reason": "证件换发"}, ("reason",), "证件{}换发", id="backpay"
    ),
]


@pytest.mark.parametrize("bad", HOSTILE)
@pytest.mark.parametrize(("act", "body", "path", "template"), BODY_FIELDS)
async def test_a_ledger_change_with_unstorable_or_control_text_is_refused(
    api: Api, db: ServiceDatabase, act: str, body: dict[str, Any], path: tuple[str, ...], template: str, bad: str
) -> None:
    who, _ = await _paid(api, db)
    before = await _rows(db)
    hostile = raw_json(with_value(body, path, template.format(bad)))
    method = api.client.put if act == "bank-account" else api.client.post

    response = await method(f"/v1/beneficiaries/{who.key}/{act}", content=hostile, headers=CIVIL_AFFAIRS | JSON)

    assert_refused(response, path[-1])
    assert await _rows(db) == before


@pytest.mark.parametrize("bad", HOSTILE)
async def test_a_repayment_reference_with_unstorable_or_control_text_is_refused(
    api: Api, db: ServiceDatabase, bad: str
) -> None:
    who, _ = await _paid(api, db)
    await apply(db, concluded(who, "terminate", "2026-10"))
    debt = (await api.ledger(who))["overpayments"][0]
    before = await _rows(db)
    body = {"amount_fen": 1000, "reference": f"收据{bad}0001"}

    response = await api.client.post(
        f"/v1/overpayments/{debt['id']}/repayments", content=raw_json(body), headers=CIVIL_AFFAIRS | JSON
    )

    assert_refused(response, "reference")
    assert await _rows(db) == before


# ---- the bank: a query parameter, or a multipart field ---------------------------------------------------


@pytest.mark.parametrize("bad", QUERY_HOSTILE)
async def test_a_bank_file_for_a_bank_named_with_unstorable_or_control_text_is_refused(
    api: Api, db: ServiceDatabase, bad: str
) -> None:
    _, run_id = await _paid(api, db)

    response = await api.get(f"/v1/payment-runs/{run_id}/bank-file", CIVIL_AFFAIRS, bank=f"中国{bad}农业银行")

    assert_refused(response, "bank")


@pytest.mark.parametrize("bad", QUERY_HOSTILE)
async def test_a_return_file_for_a_bank_named_with_unstorable_or_control_text_is_refused(
    api: Api, db: ServiceDatabase, bad: str
) -> None:
    _, run_id = await _paid(api, db)
    before = await _rows(db)
    path = f"/v1/payment-runs/{run_id}/reconciliation"
    csv = b"seq,account,amount,result,reason\r\n1,6228480000000000000,80.00,paid,\r\n"

    as_query = await api.client.post(
        path, params={"bank": f"中国{bad}农业银行"}, content=csv, headers=CIVIL_AFFAIRS | {"Content-Type": "text/csv"}
    )

    assert_refused(as_query, "bank")
    assert as_query.json()["errors"][0]["loc"] == ["query", "bank"]
    assert await _rows(db) == before


def _multipart(bank: bytes, content: bytes) -> tuple[bytes, dict[str, str]]:
    return multipart(("bank", bank), (b"return.csv", content, "text/csv"))


@pytest.mark.parametrize("bad", [b"\x00", b"\x07", b"\n"], ids=["nul", "control", "line-break"])
async def test_a_return_file_whose_multipart_bank_field_holds_unstorable_or_control_text_is_refused(
    api: Api, db: ServiceDatabase, bad: bytes
) -> None:
    _, run_id = await _paid(api, db)
    before = await _rows(db)
    body, content_type = _multipart("中国".encode() + bad + "农业银行".encode(), b"seq,account,amount,result\r\n")

    response = await api.client.post(
        f"/v1/payment-runs/{run_id}/reconciliation",
        content=body,
        headers=CIVIL_AFFAIRS | content_type,
    )

    assert_refused(response, "bank")
    assert response.json()["errors"][0]["loc"] == ["body", "bank"]
    assert await _rows(db) == before


async def test_a_return_file_with_a_plain_multipart_bank_field_is_still_reconciled(
    api: Api, db: ServiceDatabase
) -> None:
    _, run_id = await _paid(api, db)
    body, content_type = _multipart(ABC.encode(), b"seq,account,amount,result\r\n")

    response = await api.client.post(
        f"/v1/payment-runs/{run_id}/reconciliation",
        content=body,
        headers=CIVIL_AFFAIRS | content_type,
    )

    assert response.status_code == 200, response.text


# ---- months -----------------------------------------------------------------------------------------------


MONTH_PARAMETERS = [
    pytest.param("GET", "/v1/publicity", {"region": HARBIN_COUNTY}, id="publicity-json"),
    pytest.param("GET", "/v1/publicity", {"region": HARBIN_COUNTY, "format": "csv"}, id="publicity-csv"),
    pytest.param("GET", "/v1/reports/totals", {"region": HARBIN_COUNTY}, id="totals"),
    pytest.param("GET", "/v1/reports/funding-request", {"county": HARBIN_COUNTY}, id="funding-request"),
    pytest.param("POST", "/v1/payment-runs", {"region": HARBIN_COUNTY}, id="payment-run"),
]


@pytest.mark.parametrize("month", BAD_MONTHS)
@pytest.mark.parametrize(("method", "path", "params"), MONTH_PARAMETERS)
async def test_a_month_outside_1900_to_2099_is_a_422_on_every_month_parameter(
    api: Api, db: ServiceDatabase, method: str, path: str, params: dict[str, str], month: str
) -> None:
    if method == "GET":
        response = await api.get(path, CIVIL_AFFAIRS, month=month, **params)
    else:
        response = await api.post(path, CIVIL_AFFAIRS, params | {"month": month})

    assert_refused(response, "month")
    assert await db.scalar("SELECT count(*) FROM payment_runs") == 0


# ---- regions and cursors ------------------------------------------------------------------------------------


AREA = "^[0-9]{6}$"  # a county, city or province
AREA_REPORTS = [
    pytest.param("totals", {"region": HARBIN_TOWNSHIP, "month": "2026-11"}, "region", AREA, id="totals"),
    pytest.param("recovery", {"region": HARBIN_TOWNSHIP}, "region", AREA, id="recovery"),
    pytest.param(
        "funding-request",
        {"county": HARBIN_TOWNSHIP, "month": "2026-11"},
        "county",
        "^[0-9]{4}(0[1-9]|[1-9][0-9])$",
        id="funding-request",
    ),
    pytest.param(
        "non-monthly", {"province": "230000001", "year": "2026"}, "province", "^[0-9]{2}0000$", id="non-monthly"
    ),
]


@pytest.mark.parametrize(("report", "params", "field", "documented"), AREA_REPORTS)
@pytest.mark.parametrize("bad", ["township", "nul", "full-width"])
async def test_a_report_of_a_township_or_a_code_holding_a_nul_or_other_digits_is_a_422_and_the_level_is_documented(
    api: Api, report: str, params: dict[str, str], field: str, documented: str, bad: str
) -> None:
    value = {"township": params[field], "nul": "230\x00103", "full-width": "２３０１０３"}[bad]

    response = await api.get(f"/v1/reports/{report}", HL_ADMIN, **(params | {field: value}))

    assert_refused(response, field)
    assert await documented_pattern(api.client, f"/v1/reports/{report}", field) == documented


async def test_a_report_of_another_level_still_says_which_level_it_needs(api: Api) -> None:
    response = await api.get("/v1/reports/funding-request", HL_ADMIN, county="230100", month="2026-11")

    assert_refused(response, "county")
    assert "230100 is a city; give a county code" in response.json()["detail"]


def _cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode()


@pytest.mark.parametrize(
    "cursor", ["%00", "bm9%00", _cursor("230103002", "ab\x00cd", "living")], ids=["nul", "nul-after", "nul-inside"]
)
async def test_a_publicity_cursor_holding_a_nul_is_a_422(api: Api, db: ServiceDatabase, cursor: str) -> None:
    await _paid(api, db)

    response = await api.client.get(
        f"/v1/publicity?region={HARBIN_COUNTY}&month=2026-11&cursor={cursor}", headers=CIVIL_AFFAIRS
    )

    assert_refused(response, "cursor")
