"""POST /v1/registry/records: line-by-line validation, idempotent upserts, only changes published."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from review_service import imports
from subsidy_shared.auth import Principal, Role
from subsidy_shared.events import RegistryRecordChanged
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET

from tests.conftest import ServiceDatabase
from tests.review.conftest import (
    CIVIL_AFFAIRS,
    CLERK,
    FEDERATION,
    GUANGZHOU_TOWNSHIP,
    HARBIN_COUNTY,
    HARBIN_TOWNSHIP,
    NOW,
    OPS,
    OTHER_COUNTY,
    PROVINCE,
    Api,
    Someone,
    apply,
    audit_rows,
    beneficiary,
    card,
    jsonl,
    line,
    outbox_events,
    someone,
    submitted,
)

CHANGED = "subsidy.registry.record_changed.v1"
PRINCIPAL_OPS = Principal(sub="ops", role=Role.OPS, region="230000")


def thousand_lines_three_bad() -> tuple[list[str], dict[int, str]]:
    lines = [json.dumps(card(someone(i))) for i in range(1, 1001)]
    bad_id = card(someone(1001)) | {"id_number": "230103195001010011"}  # wrong check digit
    lines[99] = json.dumps(bad_id)
    lines[499] = "{not json"
    lines[899] = json.dumps(card(someone(1002), grade=9))
    return lines, {100: "id_number", 500: "not JSON", 900: "facts.grade"}


async def test_a_file_with_three_bad_lines_among_1000_imports_997_and_reports_the_three(
    api: Api, db: ServiceDatabase
) -> None:
    lines, bad = thousand_lines_three_bad()

    response = await api.upload("\n".join(lines) + "\n", headers=FEDERATION)

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["received"], report["accepted"], report["changed"]) == (1000, 997, 997)
    assert [r["line"] for r in report["rejected"]] == sorted(bad)
    for rejected in report["rejected"]:
        assert bad[rejected["line"]] in rejected["reason"]
    assert await db.scalar("SELECT count(*) FROM registry_records") == 997
    assert len(await outbox_events(db, CHANGED)) == 997


async def test_importing_the_same_file_again_publishes_nothing(api: Api, db: ServiceDatabase) -> None:
    lines = [card(someone(i)) for i in range(1, 21)]
    first = (await api.upload(lines)).json()
    second = (await api.upload(lines)).json()

    assert (first["changed"], second["changed"], second["unchanged"]) == (20, 0, 20)
    assert len(await outbox_events(db, CHANGED)) == 20


async def test_only_the_record_that_changed_is_published(api: Api, db: ServiceDatabase) -> None:
    who, other = someone(1), someone(2)
    await api.upload([card(who), card(other)])
    revoked = card(who, "revoked")

    report = (await api.upload([revoked, card(other)])).json()

    assert report["changed"] == 1
    events = await outbox_events(db, CHANGED)
    last = events[-1]
    assert isinstance(last, RegistryRecordChanged)
    assert (last.data.person_key, last.data.change, last.data.id_number) == (who.key, "revoked", who.id_number)
    assert last.key == f"{who.key}:certificate"  # the compacted topic's key: never the ID number
    assert await db.scalar("SELECT change FROM registry_records WHERE person_key = :k", k=who.key) == "revoked"


async def test_every_source_of_policy_section_8_is_accepted(api: Api, db: ServiceDatabase) -> None:
    who = someone(3)
    lines = [
        card(who, "reissuing"),
        line(who, "dibao"),
        line(who, "near_dibao"),
        line(who, "tekun"),
        line(who, "orphan"),
        line(who, "de_facto_unsupported_child", facts={"full_allowance": True}),
        line(who, "cremation", "recorded", effective="2026-09-03"),
        line(who, "death", "recorded", effective="2026-09-01"),
        line(who, "declared_death", "recorded", effective="2026-09-01"),
        line(who, "missing", "started", effective="2026-01-01"),
        line(who, "hukou_moved", "moved", effective="2026-08-01", facts={"to_region": "110105"}),
        line(who, "pension", facts={"monthly_amount_fen": 150000}),
        line(who, "work_injury_care_allowance"),
        line(who, "military_disability_care"),
        line(who, "imprisonment", effective="2026-07-01"),
        line(who, "retirement_cadre", facts={"monthly_amount_fen": 500000}),
    ]

    report = (await api.upload(lines)).json()

    assert report["rejected"] == [] and report["changed"] == len(lines)


async def test_csv_has_the_same_columns_with_facts_as_json(api: Api, db: ServiceDatabase) -> None:
    who, other = someone(4), someone(5)
    facts = json.dumps({"category": 5, "grade": 2, "issued_on": "2021-03-01", "expires_on": "2031-03-01"})
    quoted = '"' + facts.replace('"', '""') + '"'
    text = (
        "source,record_id,record_kind,change,id_number,region,effective_date,facts\n"
        f"cdpf,c-4,certificate,issued,{who.id_number},{who.hukou},,{quoted}\n"
        f"cdpf,c-5,certificate,issued,{other.id_number},{other.hukou},,\n"
        f"mca,d-4,death,recorded,{who.id_number},{who.hukou},2026-10-02,\n"
    )

    response = await api.upload(text, content_type="text/csv")

    report = response.json()
    assert report["accepted"] == 2
    assert report["rejected"] == [{"line": 3, "reason": report["rejected"][0]["reason"]}]
    assert "states category, grade, issued_on, expires_on" in report["rejected"][0]["reason"]
    grade = await db.scalar("SELECT grade FROM registry_records WHERE record_id = 'c-4'")
    assert grade == 2


async def test_a_multipart_file_is_read_by_its_name(api: Api, db: ServiceDatabase) -> None:
    text = jsonl([card(someone(6))])
    response = await api.client.post(
        "/v1/registry/records",
        files={"file": ("certificates.jsonl", text.encode(), "application/octet-stream")},
        headers=FEDERATION,
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1


async def test_anything_but_json_lines_or_csv_is_refused(api: Api) -> None:
    response = await api.upload(jsonl([card(someone(7))]), content_type="application/xml")
    assert response.status_code == 415


async def test_an_upload_over_the_limit_is_refused_whole(api_factory: object, db: ServiceDatabase) -> None:
    api = await api_factory(import_max_bytes=2048)  # type: ignore[operator]
    response = await api.upload([card(someone(i)) for i in range(1, 30)])
    assert response.status_code == 413
    assert await db.scalar("SELECT count(*) FROM registry_records") == 0


async def test_a_county_official_imports_only_records_of_their_county(api: Api, db: ServiceDatabase) -> None:
    mine = card(someone(8))
    theirs = card(someone(9, hukou=f"{OTHER_COUNTY}001"))
    placeless = card(someone(10)) | {"region": None}

    report = (await api.upload([mine, theirs, placeless], headers=CIVIL_AFFAIRS)).json()

    assert report["accepted"] == 1
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert "outside the caller's region" in reasons[2]
    assert "region is required" in reasons[3]


async def test_a_window_clerk_may_not_import_and_the_denial_is_audited(api: Api, db: ServiceDatabase) -> None:
    response = await api.upload([card(someone(11))], headers=CLERK)
    assert response.status_code == 403
    denied = [r for r in await audit_rows(db) if r["allowed"] is False]
    assert len(denied) == 1


async def test_the_import_audit_row_names_counts_not_people(api: Api, db: ServiceDatabase) -> None:
    who = someone(12)
    await api.upload([card(who)], headers=FEDERATION)
    (row,) = await audit_rows(db, "import registry records")
    assert row["after"]["accepted"] == 1
    assert who.id_number not in json.dumps(row["after"])


async def test_the_openapi_document_shows_both_upload_formats(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    content = document["paths"]["/v1/registry/records"]["post"]["requestBody"]["content"]
    assert {"application/x-ndjson", "text/csv", "multipart/form-data"} <= set(content)


async def test_lines_postgresql_could_not_store_are_rejected_and_the_rest_imported(
    api: Api, db: ServiceDatabase
) -> None:
    good = json.dumps(card(someone(13)))
    nan = json.dumps(line(someone(14), "dibao", facts={"x": 0})).replace('{"x": 0}', '{"x": NaN}')
    nul = json.dumps(line(someone(15), "dibao", facts={"note": "a\x00b"}))
    deep = "[" * 100_000

    response = await api.upload("\n".join([good, nan, nul, deep]) + "\n")

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["accepted"] == 1
    assert [r["line"] for r in report["rejected"]] == [2, 3, 4]
    assert await db.scalar("SELECT count(*) FROM registry_records") == 1


async def test_a_csv_field_past_the_readers_limit_is_a_rejected_line_not_a_failed_upload(
    api: Api, db: ServiceDatabase
) -> None:
    who = someone(16)
    text = (
        "source,record_id,record_kind,change,id_number,region\n"
        f"cdpf,x-1,dibao,started,{who.id_number},{'9' * 140_000}\n"
        f"cdpf,x-2,dibao,started,{who.id_number},{who.hukou}\n"
    )

    response = await api.upload(text, content_type="text/csv")

    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    assert response.json()["rejected"] == [{"line": 2, "reason": "not CSV: field larger than field limit (131072)"}]


async def test_a_county_may_not_expire_the_card_of_a_beneficiary_whose_hukou_is_elsewhere(
    api: Api, db: ServiceDatabase
) -> None:
    victim = someone(20, hukou=GUANGZHOU_TOWNSHIP)
    await beneficiary(db, victim)
    forged = card(victim, "expired", region=HARBIN_TOWNSHIP, issued_on="2016-01-01", expires_on="2026-01-01")

    report = (await api.upload([forged], headers=FEDERATION)).json()

    assert report["accepted"] == 0
    (rejected,) = report["rejected"]
    assert "household registration is outside the caller's region 230103" in rejected["reason"]
    assert victim.id_number not in rejected["reason"] and GUANGZHOU_TOWNSHIP not in rejected["reason"]
    assert await db.scalar("SELECT count(*) FROM registry_records") == 0
    assert await outbox_events(db, CHANGED) == []


async def test_a_province_may_not_omit_the_region_of_an_applicant_of_another_province(
    api: Api, db: ServiceDatabase
) -> None:
    applicant, beneficiary_ = someone(21, hukou=GUANGZHOU_TOWNSHIP), someone(22, hukou=GUANGZHOU_TOWNSHIP)
    await apply(db, submitted(applicant))
    await beneficiary(db, beneficiary_)
    lines = [card(who, "revoked") | {"region": None} for who in (applicant, beneficiary_)]

    for headers in (PROVINCE, OPS):
        report = (await api.upload(lines, headers=headers)).json()
        assert report["accepted"] == 0 and len(report["rejected"]) == 2


async def test_a_region_that_contradicts_the_known_hukou_county_is_rejected(api: Api, db: ServiceDatabase) -> None:
    who = someone(23)  # hukou 230103002
    await beneficiary(db, who)
    elsewhere = card(who, region=f"{OTHER_COUNTY}001")

    report = (await api.upload([elsewhere], headers=PROVINCE)).json()

    assert report["accepted"] == 0
    assert "region 230102001 is not where the person's household is registered" in report["rejected"][0]["reason"]


async def test_the_known_hukou_county_imports_its_peoples_records(api: Api, db: ServiceDatabase) -> None:
    who, applicant, stranger = someone(24), someone(25), someone(26, hukou=GUANGZHOU_TOWNSHIP)
    await beneficiary(db, who)
    await apply(db, submitted(applicant))
    lines = [
        card(who, region="230103005"),  # another township of the same county
        line(who, "dibao", region=HARBIN_COUNTY),
        line(who, "pension") | {"region": None},
        card(applicant, region="230100"),  # the city holding the hukou
    ]

    province = (await api.upload(lines[2:], headers=PROVINCE)).json()
    county = (await api.upload(lines[:2], headers=FEDERATION)).json()
    unknown = (await api.upload([card(stranger)], headers=OPS)).json()  # not known: its declared region decides

    assert (province["accepted"], county["accepted"]) == (2, 2)
    assert "outside the caller's region" in unknown["rejected"][0]["reason"]


async def statements_of_an_import(db: ServiceDatabase, people: list[Someone]) -> int:
    """How many SQL statements importing a card each of `people`, all beneficiaries, takes."""
    for who in people:
        await beneficiary(db, who)
    executed: list[str] = []

    def count(*args: Any) -> None:
        executed.append(args[2])

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with db.sessionmaker() as session, session.begin():
            text = jsonl([card(who) for who in people])
            report = await imports.import_upload(session, PRINCIPAL_OPS, text, "jsonl", DEV_PERSON_KEY_SECRET, NOW)
    finally:
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert report.accepted == len(people)
    return len(executed)


async def test_the_hukou_check_costs_one_statement_however_many_people(db: ServiceDatabase) -> None:
    one = await statements_of_an_import(db, [someone(100)])
    thirty = await statements_of_an_import(db, [someone(200 + i) for i in range(30)])
    assert one == thirty
