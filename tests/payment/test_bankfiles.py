"""Bank files: fixed byte columns in GBK or UTF-8, numbered once per run and bank, streamed, audited."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pytest
from payment_service import bankfiles
from payment_service.bankfiles import LINE_BYTES, bank_line, control_line, fit
from subsidy_shared.auth import Role

from tests.conftest import ServiceDatabase, token_for
from tests.payment.conftest import CIVIL_AFFAIRS, HL_ADMIN, Api, apply, at, beneficiary, concluded, decided

ABC = "中国农业银行"
ICBC = "中国工商银行"


@dataclass(frozen=True)
class Line:
    seq: int
    account: str
    holder: str
    amount: str
    memo: str


def parse_file(content: bytes, encoding: str) -> tuple[list[Line], tuple[int, str]]:
    """The lines of a bank file by their byte columns, and the control line's count and total."""
    rows = content.split(b"\r\n")
    assert rows[-1] == b""  # every line, the last too, ends in CRLF
    lines = []
    for raw in rows[:-2]:
        assert len(raw) == LINE_BYTES, raw
        lines.append(
            Line(
                seq=int(raw[0:8]),
                account=raw[8:40].decode(encoding).rstrip(),
                holder=raw[40:80].decode(encoding).rstrip(),
                amount=raw[80:95].decode("ascii").strip(),
                memo=raw[95:135].decode(encoding).rstrip(),
            )
        )
    control = rows[-2]
    assert len(control) == LINE_BYTES and control.startswith(b"TOTAL")
    return lines, (int(control[8:40]), control[80:95].decode("ascii").strip())


async def download(api: Api, run_id: str, bank: str = ABC, encoding: str | None = None) -> bytes:
    params = {"bank": bank} | ({"encoding": encoding} if encoding else {})
    response = await api.get(f"/v1/payment-runs/{run_id}/bank-file", CIVIL_AFFAIRS, **params)
    assert response.status_code == 200, response.text
    return response.content


async def bank_file(api: Api, run_id: str, bank: str = ABC) -> list[Line]:
    lines, _ = parse_file(await download(api, run_id, bank, "utf-8"), "utf-8")
    return lines


# ---- the format ----------------------------------------------------------------------------------


def test_gbk_columns_count_a_chinese_character_as_two_bytes_and_never_split_one() -> None:
    assert fit("张三", 5, "gbk") == "张三".encode("gbk") + b" "
    assert fit("欧阳娜娜", 5, "gbk") == "欧阳".encode("gbk") + b" "  # 6 bytes would not fit: cut before 娜
    assert fit("欧阳娜娜", 5, "utf-8") == "欧".encode() + b"  "  # 3 bytes a character in UTF-8
    assert fit("Ab\r\nC", 6, "gbk") == b"Ab  C "  # a line break in a name cannot break the file


def test_a_character_gbk_cannot_hold_becomes_a_question_mark_not_an_error() -> None:
    assert fit("王𠮷", 6, "gbk") == "王".encode("gbk") + b"?   "


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_every_line_has_the_same_width_in_bytes(encoding: str) -> None:
    long_name = "阿卜杜热合曼·买买提艾力·库尔班江·吐尔逊托合提"
    line = bank_line(7, "6228480000000000000", long_name, 1234567, "2026-11 残疾人护理补贴", encoding)

    assert len(line) == LINE_BYTES + 2 and line.endswith(b"\r\n")
    assert line[:8] == b"00000007" and line[80:95] == b"       12345.67"
    assert len(control_line(1_000_000, 10**10)) == LINE_BYTES + 2


# ---- files of a run --------------------------------------------------------------------------------


async def test_a_run_has_one_file_per_bank_with_its_count_and_total(api: Api, db: ServiceDatabase) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-11-02"))
    await apply(db, decided(beneficiary(2), submitted="2026-10-10", nursing=None))
    icbc = dataclasses.replace(beneficiary(3), name="李四")
    await apply(db, decided(icbc, submitted="2026-11-02", living=None, account="6222020000000000001"))
    await db_set_bank(db, icbc.key, ICBC)
    run = await api.run("2026-11")

    response = await api.get(f"/v1/payment-runs/{run['id']}/bank-files", CIVIL_AFFAIRS)

    assert response.status_code == 200, response.text
    files = {f["bank"]: f for f in response.json()["files"]}
    assert (files[ABC]["lines"], files[ABC]["amount_fen"], files[ABC]["amount_yuan"]) == (4, 34000, "340.00")
    assert (files[ICBC]["lines"], files[ICBC]["amount_fen"], files[ICBC]["awaiting"]) == (1, 10000, 1)
    icbc_lines = await bank_file(api, run["id"], ICBC)
    assert [(x.seq, x.account, x.holder, x.amount) for x in icbc_lines] == [
        (1, "6222020000000000001", "李四", "100.00")
    ]


async def db_set_bank(db: ServiceDatabase, person_key: str, bank: str) -> None:
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql("UPDATE entitlements SET bank = $1 WHERE person_key = $2", (bank, person_key))


async def test_the_file_has_fixed_columns_arrears_memos_and_a_control_line(api: Api, db: ServiceDatabase) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-09-10"))
    run = await api.run("2026-11")

    content = await download(api, run["id"], encoding="gbk")

    lines, control = parse_file(content, "gbk")
    assert [x.seq for x in lines] == [1, 2, 3, 4, 5, 6]
    assert sorted(x.memo for x in lines) == [
        "2026-09 残疾人护理补贴",
        "2026-09 残疾人生活补贴",
        "2026-10 残疾人护理补贴",
        "2026-10 残疾人生活补贴",
        "2026-11 残疾人护理补贴",
        "2026-11 残疾人生活补贴",
    ]
    assert {(x.account, x.holder) for x in lines} == {("6228480000000000000", "张小三")}
    assert control == (6, "540.00")


async def test_the_same_file_downloads_byte_for_byte_the_same_and_each_download_is_audited(
    api: Api, db: ServiceDatabase
) -> None:
    for sequence in (1, 2, 3):
        await apply(db, decided(beneficiary(sequence), submitted="2026-10-10"))
    run = await api.run("2026-11")
    first = await download(api, run["id"])
    # A later change of account does not rewrite a file already sent to the bank.
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql("UPDATE entitlements SET account_number = '6228489999999999999'")

    again = await download(api, run["id"])

    assert first == again and len(parse_file(first, "gbk")[0]) == 12
    audits = await db.scalar("SELECT count(*) FROM audit_log WHERE action = 'download bank file' AND allowed")
    assert audits == 2


async def test_the_encoding_defaults_to_the_setting(api_factory: Any, db: ServiceDatabase) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-11-02"))
    utf8_api = await api_factory(bank_file_encoding="utf-8")
    run = await utf8_api.run("2026-11")

    response = await utf8_api.get(f"/v1/payment-runs/{run['id']}/bank-file", CIVIL_AFFAIRS, bank=ABC)
    gbk = await download(utf8_api, run["id"], encoding="gbk")

    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "张小三".encode() in response.content and "张小三".encode("gbk") in gbk
    assert response.headers["x-line-count"] == "2" and response.headers["x-total-fen"] == "18000"


def test_the_setting_is_read_from_subsidy_bank_file_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    from payment_service.settings import Settings

    monkeypatch.setenv("SUBSIDY_BANK_FILE_ENCODING", "utf-8")
    assert Settings().bank_file_encoding == "utf-8"
    monkeypatch.setenv("SUBSIDY_BANK_FILE_ENCODING", "latin-1")
    with pytest.raises(ValueError, match="bank_file_encoding"):
        Settings()


async def test_a_large_file_streams_in_chunks_with_the_same_bytes(
    api: Api, db: ServiceDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    for sequence in range(1, 8):
        await apply(db, decided(beneficiary(sequence), submitted="2026-11-02"))
    run = await api.run("2026-11")
    whole = await download(api, run["id"])
    monkeypatch.setattr(bankfiles, "CHUNK", 3)

    chunked = await download(api, run["id"])

    assert chunked == whole
    assert parse_file(chunked, "gbk")[1] == (14, "1260.00")


async def test_lines_are_net_of_recovery_offsets_and_fully_offset_lines_are_left_out(
    api: Api, db: ServiceDatabase
) -> None:
    who = beneficiary(1)
    await apply(db, decided(who, submitted="2026-10-10"))
    await api.run("2026-11")
    await apply(db, concluded(who, "suspend", "2026-11", subsidies=("living",), reason="服刑"))  # owes 8000
    api.clock.now = at("2026-12-03")
    december = await api.run("2026-12")  # nursing 10000 paid, 8000 of it taken back

    lines = await bank_file(api, december["id"])

    assert [(x.memo, x.amount) for x in lines] == [("2026-12 残疾人护理补贴", "20.00")]


async def test_a_long_name_is_cut_at_a_character_in_gbk(api: Api, db: ServiceDatabase) -> None:
    long_name = "阿卜杜热合曼·买买提艾力·库尔班江·吐尔逊托合提"  # 24 characters: 48 GBK bytes
    who = dataclasses.replace(beneficiary(1), name=long_name)
    await apply(db, decided(who, submitted="2026-11-02", nursing=None))
    run = await api.run("2026-11")

    lines, _ = parse_file(await download(api, run["id"], encoding="gbk"), "gbk")

    assert lines[0].holder == long_name[:20]


# ---- who may, and errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "region", "status"),
    [
        (Role.AUDITOR, "230103", 200),
        (Role.OPS, "230000", 200),
        (Role.COUNTY_CIVIL_AFFAIRS, "230102", 404),  # another area's run is answered as no run
        (Role.WINDOW_CLERK, "230103002", 403),
        (Role.PROVINCIAL_ADMIN, "310000", 404),
    ],
    ids=["auditor", "ops", "other-county", "window-clerk", "other-province"],
)
async def test_only_officials_of_the_runs_region_may_download(
    api: Api, db: ServiceDatabase, role: Role, region: str, status: int
) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-11-02"))
    run = await api.run("2026-11")

    response = await api.get(f"/v1/payment-runs/{run['id']}/bank-file", token_for(role, region), bank=ABC)

    assert response.status_code == status, response.text
    assert await db.scalar("SELECT count(*) FROM audit_log WHERE NOT allowed") == (status != 200)  # denials audited


@pytest.mark.parametrize(
    ("path", "params", "status", "loc"),
    [
        ("/v1/payment-runs/00000000-0000-0000-0000-000000000000/bank-file", {"bank": ABC}, 404, None),
        ("/v1/payment-runs/00000000-0000-0000-0000-000000000000/bank-files", {}, 404, None),
        ("/v1/payment-runs/{run}/bank-file", {"bank": "中国银行"}, 404, None),
        ("/v1/payment-runs/{run}/bank-file", {}, 422, ["query", "bank"]),
        ("/v1/payment-runs/{run}/bank-file", {"bank": ABC, "encoding": "latin-1"}, 422, ["query", "encoding"]),
        ("/v1/payment-runs/not-a-uuid/bank-files", {}, 422, ["path", "run_id"]),
    ],
    ids=["unknown-run", "unknown-run-list", "unknown-bank", "no-bank", "bad-encoding", "bad-id"],
)
async def test_errors_are_problem_json(
    api: Api, db: ServiceDatabase, path: str, params: dict[str, str], status: int, loc: list[str] | None
) -> None:
    await apply(db, decided(beneficiary(1), submitted="2026-11-02"))
    run = await api.run("2026-11", headers=HL_ADMIN)

    response = await api.get(path.format(run=run["id"]), HL_ADMIN, **params)

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if loc is not None:
        assert response.json()["errors"][0]["loc"] == loc
