"""Registry lines → records (pure): each bad line with its number and a reason that never shows the value."""

from __future__ import annotations

import json
from typing import Any

import pytest
from review_service.records import BadLine, GoodLine, parse

from tests.review.conftest import card, line, someone

WHO = someone(1)


def one(item: dict[str, Any] | str) -> GoodLine | BadLine:
    text = item if isinstance(item, str) else json.dumps(item)
    (result,) = list(parse(text + "\n", "jsonl"))
    return result


BAD = [
    pytest.param(card(WHO) | {"id_number": "230103195001010011"}, "id_number: the check digit", id="check-digit"),
    pytest.param(card(WHO) | {"id_number": "23010319500231001X"}, "id_number: the birth date", id="no-such-day"),
    pytest.param(card(WHO) | {"record_kind": "lottery"}, "record_kind", id="unknown-kind"),
    pytest.param(card(WHO) | {"change": "started"}, "change 'started' is not one of a certificate", id="bad-change"),
    pytest.param(line(WHO, "death", "recorded"), "needs its effective_date", id="death-without-date"),
    pytest.param(card(WHO, grade=5), "facts.grade", id="grade-5"),
    pytest.param(card(WHO, category=0), "facts.category", id="category-0"),
    pytest.param(card(WHO, expires_on="2019-01-01"), "expires_on must be after issued_on", id="expires-before-issue"),
    pytest.param(line(WHO, "certificate", "issued", facts={"grade": 1}), "states category, issued_on", id="partial"),
    pytest.param(card(WHO) | {"region": "999999"}, "region", id="unknown-region"),
    pytest.param(card(WHO) | {"source": "a|b"}, "source", id="pipe-in-source"),
    pytest.param(card(WHO) | {"colour": "red"}, "colour: Extra inputs", id="unknown-column"),
    pytest.param(line(WHO, "hukou_moved", "moved", effective="2026-01-01", facts={"to_region": "12"}),
                 "facts.to_region", id="bad-destination"),
    pytest.param(line(WHO, "pension", facts={"monthly_amount_fen": 12.5}), "facts.monthly_amount_fen", id="float-fen"),
    pytest.param(card(WHO, category=7, facts={"components": 7}), "facts.components: Input should be a valid list",
                 id="components-not-a-list"),
    pytest.param(card(WHO, category=7, facts={"components": [4, 9]}), "facts.components.1", id="component-9"),
    pytest.param(card(WHO, category=7, facts={"components": ["4"]}), "facts.components.0", id="component-text"),
    pytest.param(card(WHO, category=4, facts={"components": [4, 5]}), "only a 多重 (category 7)",
                 id="components-of-a-single-disability"),
    pytest.param(line(WHO, "de_facto_unsupported_child", facts={"full_allowance": WHO.id_number}),
                 "facts.full_allowance", id="full-allowance-not-a-flag"),
    pytest.param("[1, 2]", "a line is a JSON object", id="array"),
    pytest.param('{"source": ', "not JSON", id="broken-json"),
]  # fmt: skip


def raw(item: dict[str, Any], **fields: str) -> str:
    """`item` as JSON with some fields spelled verbatim (values json.dumps cannot or will not write)."""
    text = json.dumps(item)
    for name, spelled in fields.items():
        text = text.replace(json.dumps(item[name]), spelled, 1)
    return text


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"x": value}
    return value


# What PostgreSQL cannot store (COPY would fail the whole upload) or the parser cannot read.
UNSTORABLE = [
    pytest.param(raw(line(WHO, "dibao", facts={"x": 0}), facts='{"x": NaN}'), "NaN is not a JSON number", id="nan"),
    pytest.param(raw(line(WHO, "dibao", facts={"x": 0}), facts='{"x": -Infinity}'), "-Infinity", id="infinity"),
    pytest.param(raw(line(WHO, "dibao", facts={"x": 0}), facts='{"x": 1e400}'), "too large", id="overflow"),
    pytest.param(line(WHO, "dibao", facts={"x": ["a", {"y": "b\x00"}]}), "facts: text holds a NUL", id="nul-in-facts"),
    pytest.param(line(WHO, "dibao", facts={"\x00": 1}), "facts: a key holds a NUL", id="nul-in-facts-key"),
    pytest.param(line(WHO, "dibao", source="s\x00"), "source: text holds a NUL", id="nul-in-source"),
    pytest.param(line(WHO, "dibao", facts={"x": "\ud800"}), "facts: text holds", id="lone-surrogate"),
    pytest.param(line(WHO, "dibao", facts=nested(40)), "facts: nested deeper than 16", id="deep-facts"),
    pytest.param("[" * 100_000, "not JSON: nested too deeply", id="recursion"),
]  # fmt: skip


@pytest.mark.parametrize(("item", "reason"), BAD)
def test_a_bad_line_says_why(item: dict[str, Any] | str, reason: str) -> None:
    result = one(item)
    assert isinstance(result, BadLine)
    assert reason in result.reason
    assert WHO.id_number not in result.reason


@pytest.mark.parametrize(("item", "reason"), UNSTORABLE)
def test_a_line_postgresql_could_not_store_is_a_bad_line(item: dict[str, Any] | str, reason: str) -> None:
    result = one(item)
    assert isinstance(result, BadLine)
    assert reason in result.reason
    assert WHO.id_number not in result.reason


def test_a_csv_field_past_the_readers_limit_is_a_bad_line_and_the_next_row_is_read() -> None:
    header = "source,record_id,record_kind,change,id_number,region\n"
    good = f"s,r2,dibao,started,{WHO.id_number},{WHO.hukou}\n"
    huge = f"s,r1,dibao,started,{WHO.id_number},{'9' * 140_000}\n"

    results = list(parse(header + huge + good, "csv"))

    assert [type(r) for r in results] == [BadLine, GoodLine]
    assert results[0] == BadLine(2, "not CSV: field larger than field limit (131072)")
    assert results[1].line == 3


def test_a_csv_quote_left_open_swallows_the_rest_into_one_bad_line() -> None:
    header = "source,record_id,record_kind,change,id_number,region,effective_date,facts\n"
    rows = f's,r1,dibao,started,{WHO.id_number},{WHO.hukou},,"{{\n' + f"s,r2,dibao,started,{WHO.id_number},,,\n"

    results = list(parse(header + rows, "csv"))

    assert len(results) == 1 and isinstance(results[0], BadLine)
    assert WHO.id_number not in results[0].reason


def test_a_csv_header_past_the_readers_limit_is_one_bad_line() -> None:
    (result,) = list(parse("source," + "x" * 140_000 + "\n", "csv"))
    assert isinstance(result, BadLine) and result.line == 1 and "field larger" in result.reason


def test_csv_facts_may_not_hold_nan() -> None:
    header = "source,record_id,record_kind,change,id_number,facts\n"
    (result,) = list(parse(header + f's,r1,dibao,started,{WHO.id_number},"{{""x"": NaN}}"\n', "csv"))
    assert result == BadLine(2, "facts: not JSON: NaN is not a JSON number")


def test_a_frozen_or_revoked_certificate_need_not_repeat_its_facts() -> None:
    for change in ("frozen", "revoked", "expired"):
        assert isinstance(one(line(WHO, "certificate", change)), GoodLine)


def test_certificate_facts_are_normalised_and_other_facts_kept() -> None:
    result = one(card(WHO, facts={"name": "张三"}))
    assert isinstance(result, GoodLine)
    assert result.record.facts == {
        "category": 4,
        "grade": 1,
        "issued_on": "2020-01-01",
        "expires_on": "2030-01-01",
        "generation": 2,
        "name": "张三",
    }


def test_a_multiple_disability_certificate_keeps_its_components() -> None:
    result = one(card(WHO, category=7, grade=3, facts={"components": [5, 6]}))
    assert isinstance(result, GoodLine) and result.record.facts["components"] == [5, 6]


def test_a_record_repeated_in_one_upload_is_refused_with_the_first_line() -> None:
    text = "\n".join(json.dumps(x) for x in (card(WHO), card(someone(2)), card(WHO, "revoked")))
    results = list(parse(text, "jsonl"))
    assert isinstance(results[2], BadLine) and results[2].reason.startswith("repeats line 1")


def test_blank_lines_keep_the_numbering() -> None:
    text = "\n" + json.dumps(card(WHO)) + "\n\n" + "{oops\n"
    results = list(parse(text, "jsonl"))
    assert [r.line for r in results] == [2, 4]


def test_the_content_hash_changes_with_the_content_only() -> None:
    first, again, revoked = (one(x) for x in (card(WHO), card(WHO), card(WHO, "revoked")))
    assert isinstance(first, GoodLine) and isinstance(again, GoodLine) and isinstance(revoked, GoodLine)
    assert first.record.content_hash("k") == again.record.content_hash("k") != revoked.record.content_hash("k")


def test_a_csv_without_the_required_columns_is_one_bad_line() -> None:
    (result,) = list(parse("source,record_id\nx,y\n", "csv"))
    assert isinstance(result, BadLine) and "record_kind, change, id_number" in result.reason
