"""Text PostgreSQL cannot store, or that is not text, and periods outside 1900–2099 are a 422 naming the field,
never a 500, and nothing is written."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from subsidy_shared.pagination import CURSOR_PATTERN

from tests.conftest import ServiceDatabase
from tests.hostile import (
    BAD_MONTHS,
    HOSTILE,
    JSON,
    QUERY_HOSTILE,
    assert_refused,
    documented_pattern,
    raw_json,
    with_value,
)
from tests.review.conftest import (
    CIVIL_AFFAIRS,
    FEDERATION,
    OPS,
    PROVINCE,
    TOWNSHIP,
    Api,
    beneficiary,
    card,
    line,
    someone,
)


async def _rows(db: ServiceDatabase) -> dict[str, Any]:
    tables = ("campaigns", "survival_checks", "informed_people", "outbox")
    counts: dict[str, Any] = {t: await db.scalar(f"SELECT count(*) FROM {t}") for t in tables}
    counts["concluded"] = await db.scalar("SELECT count(*) FROM findings WHERE status = 'concluded'")
    counts["checked"] = await db.scalar("SELECT count(*) FROM campaign_items WHERE status = 'done'")
    return counts


async def _finding(api: Api, db: ServiceDatabase) -> str:
    """An open finding: a beneficiary the registry says died."""
    who = someone(91)
    await beneficiary(db, who)
    report = await api.upload([card(who), line(who, "death", "recorded", effective="2026-09-15")], OPS)
    assert report.json()["rejected"] == [], report.text
    assert (await api.post("/v1/comparison-runs", CIVIL_AFFAIRS)).status_code == 201
    [finding] = (await api.get("/v1/findings", CIVIL_AFFAIRS)).json()["items"]
    return str(finding["id"])


@pytest.mark.parametrize("bad", HOSTILE)
async def test_a_conclusion_whose_reason_holds_unstorable_or_control_text_is_refused(
    api: Api, db: ServiceDatabase, bad: str
) -> None:
    finding_id = await _finding(api, db)
    before = await _rows(db)
    body = {"action": "terminate", "reason": f"火化记录{bad}死亡"}

    response = await api.client.post(
        f"/v1/findings/{finding_id}/conclude", content=raw_json(body), headers=CIVIL_AFFAIRS | JSON
    )

    assert_refused(response, "reason")
    assert await _rows(db) == before


@pytest.mark.parametrize("bad", HOSTILE)
async def test_a_campaign_check_whose_note_holds_unstorable_or_control_text_is_refused(
    api: Api, db: ServiceDatabase, bad: str
) -> None:
    await beneficiary(db, someone(92))
    campaign = await api.post(
        "/v1/review-campaigns", PROVINCE, {"kind": "annual_review", "region": "230000", "period": "2026"}
    )
    assert campaign.status_code == 201, campaign.text
    [item] = (await api.get(f"/v1/review-campaigns/{campaign.json()['id']}/items", TOWNSHIP)).json()["items"]
    before = await _rows(db)
    body = {"outcome": "confirmed", "method": "home_visit", "note": f"入户{bad}核实"}

    response = await api.client.post(
        f"/v1/review-campaigns/{campaign.json()['id']}/items/{item['id']}/check",
        content=raw_json(body),
        headers=TOWNSHIP | JSON,
    )

    assert_refused(response, "note")
    assert await _rows(db) == before


SURVIVAL_FIELDS = [
    pytest.param(("note",), "人脸{}识别", id="note"),
    pytest.param(("person_key",), "{}", id="person-key"),
]


@pytest.mark.parametrize("bad", HOSTILE)
@pytest.mark.parametrize(("path", "template"), SURVIVAL_FIELDS)
async def test_a_survival_check_with_unstorable_or_control_text_is_refused(
    api: Api, db: ServiceDatabase, path: tuple[str, ...], template: str, bad: str
) -> None:
    who = someone(93)
    await beneficiary(db, who)
    before = await _rows(db)
    body = {"person_key": who.key, "method": "face_recognition", "result": "failed", "note": "本人"}
    value = who.key[:10] + bad + who.key[10:] if path == ("person_key",) else template.format(bad)

    response = await api.client.post(
        "/v1/survival-checks", content=raw_json(with_value(body, path, value)), headers=TOWNSHIP | JSON
    )

    assert_refused(response, path[-1])
    assert await _rows(db) == before


@pytest.mark.parametrize("bad", QUERY_HOSTILE)
async def test_telling_a_person_key_holding_a_nul_or_control_character_is_refused(
    api: Api, db: ServiceDatabase, bad: str
) -> None:
    who = someone(94)
    before = await _rows(db)
    hostile = f"{who.key[:10]}{quote(bad)}{who.key[10:]}"

    response = await api.post(f"/v1/discovery/{hostile}/informed", TOWNSHIP, {"channel": "visit"})

    assert_refused(response, "person_key")
    assert await _rows(db) == before


@pytest.mark.parametrize("bad", QUERY_HOSTILE)
async def test_findings_of_a_rule_id_holding_a_nul_or_control_character_are_refused(api: Api, bad: str) -> None:
    response = await api.get("/v1/findings", CIVIL_AFFAIRS, rule_id=f"death{bad}.recorded")

    assert_refused(response, "rule_id")


DOCUMENTED = {"region": "^[0-9]{6}([0-9]{3}){0,2}$", "cursor": CURSOR_PATTERN}
LISTS = ["/v1/findings", "/v1/reminders/certificate-expiry", "/v1/survival-checks/overdue", "/v1/discovery"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    ("field", "value"),
    [("region", "230\x00103"), ("region", "２３０１０３"), ("cursor", "\x00"), ("cursor", "bm9\x00")],
    ids=["region-nul", "region-full-width", "cursor-nul", "cursor-nul-after"],
)
async def test_a_list_query_holding_a_nul_or_other_digits_is_a_422_and_its_form_is_documented(
    api: Api, path: str, field: str, value: str
) -> None:
    response = await api.get(path, FEDERATION, **{field: value})

    assert_refused(response, field)
    assert await documented_pattern(api.client, path, field) == DOCUMENTED[field]


@pytest.mark.parametrize("month", BAD_MONTHS)
@pytest.mark.parametrize("where", ["conclusion", "monthly-check"])
async def test_a_month_outside_1900_to_2099_is_a_422_on_every_month_parameter(
    api: Api, db: ServiceDatabase, where: str, month: str
) -> None:
    if where == "conclusion":
        finding_id = await _finding(api, db)
        body = {"action": "terminate", "reason": "火化记录", "effective_month": month}
        response, field = await api.post(f"/v1/findings/{finding_id}/conclude", CIVIL_AFFAIRS, body), "effective_month"
    else:
        body = {"kind": "monthly_check", "region": "230103002", "period": month}
        response, field = await api.post("/v1/review-campaigns", TOWNSHIP, body), "period"

    assert_refused(response, field)
    rows = await _rows(db)
    assert rows["campaigns"] == 0 and rows["concluded"] == 0


BAD_PERIODS = [
    pytest.param("annual_review", "230000", "0000", id="annual-year-0"),
    pytest.param("annual_review", "230000", "1899", id="annual-1899"),
    pytest.param("annual_review", "230000", "2100", id="annual-2100"),
    pytest.param("annual_review", "230000", "２０２６", id="annual-full-width"),
    pytest.param("quarterly_comparison", "230103", "0000-Q4", id="quarter-year-0"),
    pytest.param("quarterly_comparison", "230103", "2100-Q1", id="quarter-2100"),
    pytest.param("quarterly_comparison", "230103", "２０２６-Q4", id="quarter-full-width"),
    pytest.param("quarter query", "230103", "0000-Q1", id="query-year-0"),
    pytest.param("quarter query", "230103", "2100-Q1", id="query-2100"),
    pytest.param("quarter query", "230103", "２０２６-Q4", id="query-full-width"),
    pytest.param("quarter query", "230103", "2026-Q4\x00", id="query-nul"),
]


@pytest.mark.parametrize(("kind", "region", "period"), BAD_PERIODS)
async def test_a_year_or_quarter_outside_1900_to_2099_is_refused(
    api: Api, db: ServiceDatabase, kind: str, region: str, period: str
) -> None:
    if kind == "quarter query":
        response = await api.get("/v1/reports/quarterly-comparison", FEDERATION, quarter=period)
    else:
        body = {"kind": kind, "region": region, "period": period}
        response = await api.post("/v1/review-campaigns", PROVINCE if region == "230000" else FEDERATION, body)

    assert_refused(response, "quarter" if kind == "quarter query" else "period")
    assert await db.scalar("SELECT count(*) FROM campaigns") == 0


@pytest.mark.parametrize("path", ["/v1/reports/quarterly-comparison", "/v1/review-campaigns/{campaign}/items"])
async def test_the_other_region_queries_refuse_a_nul_too(api: Api, db: ServiceDatabase, path: str) -> None:
    await beneficiary(db, someone(95))
    campaign = await api.post(
        "/v1/review-campaigns", PROVINCE, {"kind": "annual_review", "region": "230000", "period": "2026"}
    )

    response = await api.get(path.format(campaign=campaign.json()["id"]), FEDERATION, region="230\x00103")

    assert_refused(response, "region")
    documented = await documented_pattern(api.client, path.replace("{campaign}", "{campaign_id}"), "region")
    assert documented == DOCUMENTED["region"]
