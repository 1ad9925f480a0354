"""Request field types for personal and regional data, cursors and periods: one rule for every service."""

from __future__ import annotations

import base64
import re

import pytest
from pydantic import TypeAdapter, ValidationError
from subsidy_shared.errors import Unprocessable
from subsidy_shared.money import MONTH_PATTERN, YEAR_PATTERN
from subsidy_shared.pagination import Cursor, decode_cursor, encode_cursor
from subsidy_shared.validators import AreaCode, BankAccountNumber, CertificateNumber, PersonKey, PersonName, Phone

NAME: TypeAdapter[str] = TypeAdapter(PersonName)
PHONE: TypeAdapter[str] = TypeAdapter(Phone)
ACCOUNT: TypeAdapter[str] = TypeAdapter(BankAccountNumber)
KEY: TypeAdapter[str] = TypeAdapter(PersonKey)
AREA: TypeAdapter[str] = TypeAdapter(AreaCode)
CURSOR: TypeAdapter[str] = TypeAdapter(Cursor)


def _refused(adapter: TypeAdapter[str], value: str) -> str:
    with pytest.raises(ValidationError) as refused:
        adapter.validate_python(value)
    return str(refused.value.errors()[0]["msg"])


@pytest.mark.parametrize(
    "name",
    ["张三", "阿依古丽·买买提", "John Smith", "欧阳娜娜", "O'Brien", "Jean-Luc", "José", "𠀀𠀁", "李〇"],
    ids=["han", "uyghur-dot", "latin-space", "four-han", "apostrophe", "hyphen", "accent", "extension-b", "zero"],
)
def test_a_persons_name_of_letters_is_accepted(name: str) -> None:
    assert NAME.validate_python(name) == name


@pytest.mark.parametrize(
    "name",
    ["0", "张3", " 张", "张 ", "张\n三", "张\t三", "·张", "张·", "张\x00三", "", "张" * 51, "<script>"],
    ids=[
        "digit",
        "digit-inside",
        "leading-space",
        "trailing-space",
        "line-break",
        "tab",
        "leading-dot",
        "trailing-dot",
        "nul",
        "empty",
        "too-long",
        "markup",
    ],
)
def test_a_persons_name_with_anything_but_letters_between_separators_is_refused(name: str) -> None:
    _refused(NAME, name)


@pytest.mark.parametrize(
    "phone",
    ["13800000000", "+8613800000000", "0451-86661234", "045186661234", "010-12345678-123", "19912345678"],
    ids=["mobile", "mobile-plus86", "landline", "landline-no-hyphen", "extension", "mobile-19"],
)
def test_a_mainland_mobile_or_landline_is_accepted(phone: str) -> None:
    assert PHONE.validate_python(phone) == phone


@pytest.mark.parametrize(
    "phone",
    ["00000", "12800000000", "1380000000", "138000000000", "+8513800000000", "0451-0666123", "１３８００００００００",
     "13800000000\n", "138\x0000000000"],
    ids=["zeros", "no-such-prefix", "ten-digits", "twelve-digits", "other-country", "local-zero", "full-width",
         "line-break", "nul"],
)  # fmt: skip
def test_anything_else_is_not_a_phone_number(phone: str) -> None:
    _refused(PHONE, phone)


@pytest.mark.parametrize("digits", [12, 19, 30])
def test_an_account_number_is_12_to_30_digits(digits: int) -> None:
    assert ACCOUNT.validate_python("6" * digits) == "6" * digits


@pytest.mark.parametrize(
    "account",
    ["6" * 11, "6" * 31, "6228 4800 0000 0000", "６２２８４８００００００", "62284800000a", "622848000000\x00"],
    ids=["eleven", "thirty-one", "spaces", "full-width", "letter", "nul"],
)
def test_anything_else_is_not_an_account_number(account: str) -> None:
    assert _refused(ACCOUNT, account) == "Value error, a bank account number is 12 to 30 digits"


def test_a_person_key_is_what_ids_person_key_gives_out() -> None:
    key = "3f6c1e0a" * 8

    assert KEY.validate_python(key) == key
    for bad in ("short", key + "\x00", key[:20] + "\n" + key[20:], "é" * 10, "k" * 129):
        assert "person key" in _refused(KEY, bad)


@pytest.mark.parametrize("code", ["230000", "230100", "230103"], ids=["province", "city", "county"])
def test_an_area_is_a_county_city_or_province(code: str) -> None:
    assert AREA.validate_python(code) == code


@pytest.mark.parametrize(
    "code", ["230103002", "230103002001", "２３０１０３", "230\x00103", "999999"],
    ids=["township", "village", "full-width", "nul", "unknown"],
)  # fmt: skip
def test_a_township_or_anything_else_is_not_an_area(code: str) -> None:
    _refused(AREA, code)


def test_a_cursor_given_out_passes_and_decodes() -> None:
    cursor = encode_cursor("2026-11-23", "ab-cd")

    assert CURSOR.validate_python(cursor) == cursor
    assert decode_cursor(cursor, str, str) == ("2026-11-23", "ab-cd")


@pytest.mark.parametrize(
    "cursor", ["\x00", "bm9\x00", "bm9 0", "bm9\n", "bm9+"], ids=["nul", "nul-after", "space", "lf", "plus"]
)
def test_a_cursor_that_is_not_url_safe_base64_is_refused(cursor: str) -> None:
    assert "not a cursor" in _refused(CURSOR, cursor)


def test_a_cursor_decoding_to_text_postgresql_cannot_store_is_a_422_naming_the_cursor() -> None:
    cursor = base64.urlsafe_b64encode(b"230103002|ab\x00cd|living").decode()

    with pytest.raises(Unprocessable) as refused:
        decode_cursor(cursor, str, str, str)

    assert refused.value.errors == [{"loc": ["query", "cursor"], "msg": "not a cursor returned by this list"}]


@pytest.mark.parametrize(
    ("text", "valid"),
    [("1900", True), ("2099", True), ("2026", True), ("1899", False), ("2100", False), ("0000", False),
     ("２０２６", False)],
)  # fmt: skip
def test_the_year_range_of_months_and_periods_is_1900_to_2099_in_ascii_digits(text: str, valid: bool) -> None:
    assert bool(re.fullmatch(YEAR_PATTERN, text)) is valid
    assert bool(re.fullmatch(MONTH_PATTERN, f"{text}-11")) is valid


@pytest.mark.parametrize("number", ["11010519491231002X４１", "11010519491231002X4１", "11010519491231002X٤1"])
def test_a_certificate_number_with_non_ascii_digits_is_refused(number: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(CertificateNumber).validate_python(number)
