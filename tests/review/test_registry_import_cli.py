"""`subsidyctl import`: a file sent in parts; bad lines reported with their line number in the file."""

from __future__ import annotations

import json
from pathlib import Path

from subsidyctl.registry_import import parts, send_file

from tests.conftest import ServiceDatabase
from tests.review.conftest import FEDERATION, Api, card, someone


async def test_a_file_sent_in_parts_reports_bad_lines_by_their_line_in_the_file(
    api: Api, db: ServiceDatabase, tmp_path: Path
) -> None:
    lines = [json.dumps(card(someone(i))) for i in range(1, 11)]
    lines[3] = "{broken"
    lines[8] = json.dumps(card(someone(9), grade=7))
    path = tmp_path / "certificates.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen: list[int] = []

    summary = await send_file(api.client, path, "jsonl", FEDERATION, 3, lambda part: seen.append(part.lines))

    assert seen == [3, 3, 3, 1]
    assert (summary.received, summary.accepted, summary.changed) == (10, 8, 8)
    assert [line for line, _ in summary.rejected] == [4, 9]
    assert await db.scalar("SELECT count(*) FROM registry_records") == 8


async def test_a_csv_part_repeats_the_header_and_numbers_lines_as_the_file_does(
    api: Api, db: ServiceDatabase, tmp_path: Path
) -> None:
    rows = ["source,record_id,record_kind,change,id_number,region,effective_date,facts"]
    for i in range(1, 6):
        who = someone(i)
        rows.append(f"mca,d-{i},death,recorded,{who.id_number},{who.hukou},{'' if i == 4 else '2026-10-01'},")
    path = tmp_path / "deaths.csv"
    path.write_text("\ufeff" + "\n".join(rows) + "\n", encoding="utf-8")  # as a spreadsheet saves it

    summary = await send_file(api.client, path, "csv", FEDERATION, 2)

    assert [p.text.splitlines()[0] for p in parts(path, "csv", 2)] == [rows[0]] * 3
    assert summary.accepted == 4
    assert summary.rejected == [(5, "a death record needs its effective_date")]  # file line 5 = the 4th record
