"""Reconciliation: the bank's return file marks lines paid or failed; bad lines are listed, not fatal."""

from __future__ import annotations

from typing import Any

import pytest
from payment_service.reconciliation import ReturnLine, parse_amount, parse_return_file
from subsidy_shared.auth import Role
from subsidy_shared.events import PaymentFailed

from tests.conftest import ServiceDatabase, token_for
from tests.payment.conftest import CIVIL_AFFAIRS, NOW, Api, apply, at, beneficiary, decided, outbox_events
from tests.payment.test_bankfiles import ABC, ICBC, Line, bank_file

ACCOUNT = "6228480000000000000"


def return_file(lines: list[Line], results: list[str], header: bool = True) -> str:
    rows = ["seq,account,amount,result,reason"] if header else []
    rows += [f"{x.seq},{x.account},{x.amount},{r}" for x, r in zip(lines, results, strict=True)]
    return "\r\n".join(rows) + "\r\n"


async def upload(api: Api, run_id: str, text: str, bank: str = ABC, headers: dict[str, str] | None = None) -> Any:
    response = await api.client.post(
        f"/v1/payment-runs/{run_id}/reconciliation",
        files={"file": ("return.csv", text.encode(), "text/csv")},
        data={"bank": bank},
        headers=headers or CIVIL_AFFAIRS,
    )
    return response


async def failed_events(db: ServiceDatabase) -> list[PaymentFailed]:
    return [e for e in await outbox_events(db) if isinstance(e, PaymentFailed)]


# ---- parsing --------------------------------------------------------------------------------------


def test_amounts_are_yuan_with_at_most_two_decimals() -> None:
    assert [parse_amount(t) for t in ("180", "180.5", "180.50", "0.01")] == [18000, 18050, 18050, 1]
    assert [parse_amount(t) for t in ("-1.00", "1.005", "1,000.00", "", "１８０")] == [None] * 5


def test_a_return_file_parses_line_by_line_and_reports_each_bad_line_with_its_number() -> None:
    text = "\n".join(
        [
            "序号,账号,金额,结果,原因",
            "1,6228 4800 0000 0000 000,80.00,成功",
            "2,6228480000000000000,80.00,失败,账户已冻结",
            "",
            "x,6228480000000000000,80.00,paid,",
            "3,6228480000000000000,80.001,paid,",
            "4,6228480000000000000,80.00,maybe,",
            "5,6228480000000000000",
            "1,6228480000000000000,80.00,PAID,",
            '6,"6228480000000000000,80.00,paid,',  # an unclosed quote spoils its own line only
            "7," + "9" * 200_000 + ",80.00,paid,",  # over the csv module's field limit
            "8,6228480000000000000,80.00,paid,",
        ]
    )

    lines, rejected = parse_return_file(text)

    assert lines == [
        ReturnLine(2, 1, ACCOUNT, 8000, "paid", None),
        ReturnLine(3, 2, ACCOUNT, 8000, "failed", "账户已冻结"),
        ReturnLine(12, 8, ACCOUNT, 8000, "paid", None),
    ]
    assert [(r.number, r.reason.split(" (")[0]) for r in rejected] == [
        (5, "the sequence"),
        (6, "the amount"),
        (7, "the result"),
        (8, "expected 5 fields"),
        (9, "sequence 1 already appears on line 2"),
        (10, "expected 5 fields"),
        (11, "the line is not valid CSV"),
    ]
    assert not any("6228" in r.reason or "80.001" in r.reason for r in rejected)  # no field is echoed


# ---- applying a return file -------------------------------------------------------------------------


async def test_paid_and_failed_lines_are_applied_and_bad_lines_listed(api: Api, db: ServiceDatabase) -> None:
    for sequence in (1, 2):
        await apply(db, decided(beneficiary(sequence), submitted="2026-11-02"))
    run = await api.run("2026-11")
    lines = await bank_file(api, run["id"])
    wrong_account = Line(lines[2].seq, "6228481111111111111", "", lines[2].amount, "")
    wrong_amount = Line(lines[3].seq, lines[3].account, "", "1.00", "")
    unknown = Line(99, ACCOUNT, "", "80.00", "")
    text = return_file(
        [lines[0], lines[1], wrong_account, wrong_amount, unknown],
        ["paid", "failed,账户已销户", "paid", "paid", "paid"],
    )
    api.clock.now = at("2026-11-25")

    response = await upload(api, run["id"], text)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["paid"], answer["failed"], answer["unchanged"], answer["rejected"]) == (1, 1, 0, 3)
    assert [r["line"] for r in answer["rejected_lines"]] == [4, 5, 6]
    assert "account does not match" in answer["rejected_lines"][0]["reason"]
    assert "1.00 differs from" in answer["rejected_lines"][1]["reason"]
    assert await db.scalar("SELECT count(*) FROM payments WHERE status = 'paid'") == 1
    assert await db.scalar("SELECT failure_reason FROM payments WHERE status = 'failed'") == "账户已销户"
    assert await db.scalar("SELECT failed_at FROM payments WHERE status = 'failed'") == at("2026-11-25")
    assert await db.scalar("SELECT count(*) FROM payments WHERE status = 'issued'") == 2
    [event] = await failed_events(db)
    failed_line = await db.scalar("SELECT payment_id FROM bank_lines WHERE result = 'failed'")
    person, subsidy = await db.scalar("SELECT ARRAY[person_key, subsidy] FROM payments WHERE id = :id", id=failed_line)
    assert (str(event.data.run_id), event.data.person_key, event.data.subsidy) == (run["id"], person, subsidy)
    assert (event.data.month, event.data.reason) == ("2026-11", "账户已销户")
    assert event.data.amount_fen == parse_amount(lines[1].amount)


async def test_the_same_file_uploaded_again_changes_nothing_and_emits_nothing(api: Api, db: ServiceDatabase) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-11-02"))
    run = await api.run("2026-11")
    lines = await bank_file(api, run["id"])
    text = return_file(lines, ["paid", "failed,户名不符"])
    await upload(api, run["id"], text)
    api.clock.now = at("2026-11-30")

    again = (await upload(api, run["id"], text)).json()

    assert (again["paid"], again["failed"], again["unchanged"], again["rejected"]) == (0, 0, 2, 0)
    assert len(await failed_events(db)) == 1
    assert await db.scalar("SELECT failed_at FROM payments WHERE status = 'failed'") == NOW


async def test_a_line_already_reconciled_cannot_be_turned_around(api: Api, db: ServiceDatabase) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-11-02", nursing=None))
    run = await api.run("2026-11")
    lines = await bank_file(api, run["id"])
    await upload(api, run["id"], return_file(lines, ["paid"]))

    turned = (await upload(api, run["id"], return_file(lines, ["failed,退票"]))).json()

    assert (turned["failed"], turned["rejected"]) == (0, 1)
    assert turned["rejected_lines"][0]["reason"] == "line 1 was already reconciled as paid"
    assert await failed_events(db) == []


async def test_a_csv_body_in_gbk_with_chinese_results_is_accepted(api: Api, db: ServiceDatabase) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-11-02"))
    run = await api.run("2026-11")
    lines = await bank_file(api, run["id"])
    text = return_file(lines, ["成功", "失败,账号不存在"], header=False)

    response = await api.client.post(
        f"/v1/payment-runs/{run['id']}/reconciliation",
        params={"bank": ABC},
        content=text.encode("gbk"),
        headers=CIVIL_AFFAIRS | {"Content-Type": "text/csv"},
    )

    assert response.status_code == 200, response.text
    assert (response.json()["paid"], response.json()["failed"]) == (1, 1)
    assert (await failed_events(db))[0].data.reason == "账号不存在"


async def test_a_failed_line_is_carried_into_the_next_run_once_the_account_is_corrected(
    api: Api, db: ServiceDatabase
) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-11-02", nursing=None))
    november = await api.run("2026-11")
    [line] = await bank_file(api, november["id"])
    await upload(api, november["id"], return_file([line], ["failed,账户已销户"]))
    [event] = await failed_events(db)
    assert (event.data.person_key, event.data.month, event.data.amount_fen) == (who.key, "2026-11", 8000)

    api.clock.now = at("2026-11-26")
    corrected = await api.client.put(
        f"/v1/beneficiaries/{who.key}/bank-account",
        json={
            "bank_account": {"bank": ICBC, "account_number": "6222020000000000001", "holder_name": who.name},
            "reason": "原账户已销户，本人提供新账户",
        },
        headers=CIVIL_AFFAIRS,
    )
    assert corrected.status_code == 200, corrected.text
    api.clock.now = at("2026-12-03")
    december = await api.run("2026-12")

    assert december["carried_count"] == 1
    carried = [p for p in (await api.ledger(who))["payments"] if p["month"] == "2026-11"]
    assert [(p["run_id"], p["attempts"], p["status"]) for p in carried] == [(december["id"], 2, "issued")]
    assert await db.scalar("SELECT count(*) FROM payments") == 2  # the same row, not a second payment
    new_file = await bank_file(api, december["id"], ICBC)
    assert sorted((x.memo, x.account, x.amount) for x in new_file) == [
        ("2026-11 残疾人生活补贴", "6222020000000000001", "80.00"),
        ("2026-12 残疾人生活补贴", "6222020000000000001", "80.00"),
    ]
    # The November file is what it was, and its return file, sent again, changes nothing.
    assert await bank_file(api, november["id"]) == [line]
    again = (await upload(api, november["id"], return_file([line], ["failed,账户已销户"]))).json()
    assert (again["unchanged"], len(await failed_events(db))) == (1, 1)


# ---- who may, and errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (token_for(Role.COUNTY_CIVIL_AFFAIRS, "230102"), 404),  # another area's run is answered as no run
        (token_for(Role.AUDITOR, "230103"), 403),
        (token_for(Role.OPS, "230000"), 200),
    ],
    ids=["other-county", "auditor-reads-only", "ops"],
)
async def test_only_officials_of_the_region_may_reconcile(
    api: Api, db: ServiceDatabase, headers: dict[str, str], status: int
) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-11-02"))
    run = await api.run("2026-11")
    lines = await bank_file(api, run["id"])

    response = await upload(api, run["id"], return_file(lines, ["paid", "paid"]), headers=headers)

    assert response.status_code == status, response.text
    assert await db.scalar("SELECT count(*) FROM payments WHERE status = 'paid'") == (2 if status == 200 else 0)


async def test_bad_requests_are_problem_json(api: Api, db: ServiceDatabase) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-11-02"))
    run = await api.run("2026-11")
    path = f"/v1/payment-runs/{run['id']}/reconciliation"

    unknown = await upload(api, "00000000-0000-0000-0000-000000000000", "1,2,3,paid\r\n")
    no_bank = await api.client.post(path, content=b"1,2,3,paid", headers=CIVIL_AFFAIRS | {"Content-Type": "text/csv"})
    json_body = await api.client.post(path, json={"lines": []}, headers=CIVIL_AFFAIRS)
    binary = await api.client.post(
        path, params={"bank": ABC}, content=b"\xff\xfe\x00\x81", headers=CIVIL_AFFAIRS | {"Content-Type": "text/csv"}
    )

    assert [r.status_code for r in (unknown, no_bank, json_body, binary)] == [404, 422, 415, 422]
    assert no_bank.json()["errors"][0]["loc"] == ["query", "bank"]
    assert binary.json()["errors"][0]["loc"] == ["body", "file"]
    assert all(r.headers["content-type"].startswith("application/problem+json") for r in (unknown, no_bank, binary))
