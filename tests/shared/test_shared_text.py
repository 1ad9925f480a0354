"""Human-entered text: what PostgreSQL cannot store and control characters are refused, never quoted."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError
from subsidy_shared.text import Line, Note, Reason, Text, unstorable_text

TEXT: TypeAdapter[str] = TypeAdapter(Text)
LINE: TypeAdapter[str] = TypeAdapter(Line)
REASON: TypeAdapter[str] = TypeAdapter(Reason)
NOTE: TypeAdapter[str] = TypeAdapter(Note)

# "secret" stands for what a person typed: a refusal names the field and why, never the value.
UNSTORABLE = [
    pytest.param("secret\x00", id="nul"),
    pytest.param("\x00", id="nul-alone"),
    pytest.param("secret\ud800", id="high-surrogate"),
    pytest.param("\udfffsecret", id="low-surrogate"),
]
CONTROL = [
    pytest.param("secret\x01", id="soh"),
    pytest.param("secret\x07", id="bel"),
    pytest.param("secret\x1b", id="escape"),
    pytest.param("secret\x7f", id="delete"),
    pytest.param("secret\x85", id="c1-next-line"),
    pytest.param("secret\x9f", id="c1-last"),
]


@pytest.mark.parametrize("value", UNSTORABLE)
def test_unstorable_text_says_why_without_quoting_the_value(value: str) -> None:
    assert unstorable_text(value) == "text holds a NUL character or an unpaired surrogate, which cannot be stored"


@pytest.mark.parametrize(
    "value",
    ["", "张三", "第一行\n第二行", "tab\there", "a\x07b", "😀", "\U00020000"],
    ids=["empty", "han", "line-feed", "tab", "control", "emoji", "extension-b"],
)
def test_text_postgresql_can_store_is_not_unstorable(value: str) -> None:
    assert unstorable_text(value) is None


@pytest.mark.parametrize("value", [*UNSTORABLE, *CONTROL])
@pytest.mark.parametrize("adapter", [TEXT, LINE], ids=["text", "line"])
def test_text_and_line_refuse_unstorable_and_control_characters(adapter: TypeAdapter[str], value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        adapter.validate_python(value)

    [error] = refused.value.errors()
    assert "control character" in error["msg"] or "cannot be stored" in error["msg"]
    assert "secret" not in error["msg"]


@pytest.mark.parametrize(
    "value",
    ["入户核查不属实", "第一行\n第二行", "第一行\r\n第二行", "列\t对齐", "阿依古丽·买买提", "😀"],
    ids=["plain", "line-feed", "crlf", "tab", "middle-dot", "emoji"],
)
def test_text_keeps_what_people_write_in_a_note(value: str) -> None:
    assert TEXT.validate_python(value) == value


@pytest.mark.parametrize(
    "value", ["a\nb", "a\rb", "a\tb", "a\u2028b", "a\u2029b"], ids=["lf", "cr", "tab", "line-sep", "para-sep"]
)
def test_a_line_is_one_line(value: str) -> None:
    assert TEXT.validate_python(value) == value
    with pytest.raises(ValidationError, match="one line only"):
        LINE.validate_python(value)


def test_a_line_keeps_a_bank_name_or_a_label() -> None:
    assert LINE.validate_python("中国农业银行 哈尔滨分行") == "中国农业银行 哈尔滨分行"


def test_a_reason_is_one_to_two_thousand_characters_and_a_note_at_most_two_hundred() -> None:
    assert REASON.validate_python("x" * 2000) == "x" * 2000
    assert NOTE.validate_python("") == "" and NOTE.validate_python("x" * 200) == "x" * 200
    for adapter, value in ((REASON, ""), (REASON, "x" * 2001), (NOTE, "x" * 201)):
        with pytest.raises(ValidationError):
            adapter.validate_python(value)
