"""公示: a month's beneficiaries, masked, by region; JSON pages and a streamed CSV for Excel."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest
from subsidy_shared.auth import Role

from tests.conftest import ServiceDatabase, token_for
from tests.payment.conftest import CIVIL_AFFAIRS, HL_ADMIN, Api, apply, beneficiary, decided
from tests.payment.test_bankfiles import bank_file
from tests.payment.test_reconciliation import return_file, upload

OTHER_TOWNSHIP = "230103003"


async def test_the_list_shows_masked_people_their_township_subsidy_and_amount_and_nothing_else(
    api: Api, db: ServiceDatabase
) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-11-02", nursing=("nursing.grade1", 10000)))
    await api.run("2026-11")

    response = await api.get("/v1/publicity", CIVIL_AFFAIRS, region="230103", month="2026-11")

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    masked_id = who.id_number[:4] + "*" * 10 + who.id_number[-4:]
    assert [(i["name"], i["id_number"], i["township"], i["subsidy"], i["amount_yuan"]) for i in items] == [
        ("张*三", masked_id, "230103002", "living", "80.00"),
        ("张*三", masked_id, "230103002", "nursing", "100.00"),
    ]
    text = response.text
    for secret in (who.id_number, "6228480000000000000", "grade1", "nursing.", "张小三", who.key):
        assert secret not in text


async def test_arrears_count_under_their_own_month_and_returned_payments_do_not_count(
    api: Api, db: ServiceDatabase
) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-09-10", nursing=None))
    await apply(db, decided(beneficiary(2), submitted="2026-11-02", nursing=None))
    run = await api.run("2026-11")
    lines = await bank_file(api, run["id"])
    november = [x for x in lines if x.memo.startswith("2026-11")]
    await upload(api, run["id"], return_file(november, ["paid", "failed,账户已销户"]))

    async def listed(month: str) -> int:
        response = await api.get("/v1/publicity", CIVIL_AFFAIRS, region="230103", month=month)
        return len(response.json()["items"])

    assert [await listed(m) for m in ("2026-08", "2026-09", "2026-10", "2026-11")] == [0, 1, 1, 1]


async def test_pages_follow_the_cursor_to_the_end_without_repeating_anyone(api: Api, db: ServiceDatabase) -> None:
    for sequence in range(1, 6):
        await apply(db, decided(beneficiary(sequence), submitted="2026-11-02"))
    await api.run("2026-11")
    seen: list[tuple[str, str]] = []
    cursor: str | None = None

    for _ in range(6):
        params = {"region": "230103", "month": "2026-11", "limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (await api.get("/v1/publicity", CIVIL_AFFAIRS, **params)).json()
        seen += [(i["id_number"], i["subsidy"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == 10 and len(set(seen)) == 10


async def test_a_township_sees_only_its_own_people(api: Api, db: ServiceDatabase) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-11-02", nursing=None))
    await apply(db, decided(beneficiary(2, hukou=OTHER_TOWNSHIP), submitted="2026-11-02", nursing=None))
    await api.run("2026-11")
    township = token_for(Role.TOWNSHIP_REVIEWER, OTHER_TOWNSHIP)

    own = await api.get("/v1/publicity", township, month="2026-11")
    county = await api.get("/v1/publicity", township, region="230103", month="2026-11")

    assert [i["township"] for i in own.json()["items"]] == [OTHER_TOWNSHIP]
    assert own.json()["region"] == OTHER_TOWNSHIP
    assert county.status_code == 403


async def test_the_csv_has_a_bom_a_header_and_every_line(api: Api, db: ServiceDatabase) -> None:
    for sequence in range(1, 4):
        who = dataclasses.replace(beneficiary(sequence), name=f"欧阳{sequence}娜")
        await apply(db, decided(who, submitted="2026-11-02"))
    await api.run("2026-11")

    response = await api.get("/v1/publicity", HL_ADMIN, region="230000", month="2026-11", format="csv")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["姓名", "身份证号", "县（区）", "乡镇（街道）", "补贴", "月份", "金额（元）"]
    assert len(rows) == 7
    assert {r[0] for r in rows[1:]} == {"欧**娜"}
    assert sorted({r[4] for r in rows[1:]}) == ["困难残疾人生活补贴", "重度残疾人护理补贴"]
    assert "6228480000000000000" not in response.text


@pytest.mark.parametrize(
    ("headers", "params", "status", "loc"),
    [
        (CIVIL_AFFAIRS, {"region": "230103", "month": "2026-13"}, 422, ["query", "month"]),
        (CIVIL_AFFAIRS, {"region": "230103"}, 422, ["query", "month"]),
        (CIVIL_AFFAIRS, {"region": "999999", "month": "2026-11"}, 422, ["query", "region"]),
        (CIVIL_AFFAIRS, {"month": "2026-11", "cursor": "bm90IGEgY3Vyc29y"}, 422, ["query", "cursor"]),
        (CIVIL_AFFAIRS, {"month": "2026-11", "format": "xlsx"}, 422, ["query", "format"]),
        (CIVIL_AFFAIRS, {"region": "230102", "month": "2026-11"}, 403, None),
        (token_for(Role.PROVINCE_SYSTEM, "440000"), {"region": "440000", "month": "2026-11"}, 403, None),
        (CIVIL_AFFAIRS, {"region": "230102", "month": "2026-11", "format": "csv"}, 403, None),
    ],
    ids=["bad-month", "no-month", "bad-region", "bad-cursor", "bad-format", "other-county", "province-system", "csv"],
)
async def test_bad_or_unauthorised_requests_are_problem_json(
    api: Api, headers: dict[str, str], params: dict[str, str], status: int, loc: list[str] | None
) -> None:
    response = await api.get("/v1/publicity", headers, **params)

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if loc is not None:
        assert response.json()["errors"][0]["loc"] == loc
