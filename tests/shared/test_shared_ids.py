"""ID numbers (GB 11643): validation, masking and the person key."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from subsidy_shared.ids import (
    InvalidIdNumber,
    check_digit,
    compose_id_number,
    mask_account,
    mask_id_number,
    mask_name,
    person_key,
    validate_id_number,
)

VALID = "11010519491231002X"
SECRET = "test-person-key-secret"


def _with_check_digit(first17: str) -> str:
    return f"{first17}{check_digit(first17)}"


def test_the_standard_example_is_valid() -> None:
    assert validate_id_number(VALID) == VALID


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002x", VALID),
        ("  11010519491231002X\n", VALID),
    ],
    ids=["lowercase-x", "surrounding-whitespace"],
)
def test_validation_normalises_the_number(raw: str, expected: str) -> None:
    assert validate_id_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("110105194912310021", "check digit"),
        ("11010519491231002", "18 characters"),
        ("11010519491231002X0", "18 characters"),
        ("", "18 characters"),
        ("1101051949A231002X", "17 digits followed by a digit or X"),
        ("11010519491231002Y", "17 digits followed by a digit or X"),
        (_with_check_digit("11010519490230002"), "birth date"),
        (_with_check_digit("11010519490229002"), "birth date"),
        (_with_check_digit("11010519491301002"), "birth date"),
        (_with_check_digit("11010519490100002"), "birth date"),
        (_with_check_digit("11010518791231002"), "birth date"),
        (compose_id_number("110105", date.today() + timedelta(days=1), 2), "birth date"),
    ],
    ids=[
        "wrong-check-digit",
        "17-characters",
        "19-characters",
        "empty",
        "letter-in-the-middle",
        "bad-check-character",
        "february-30",
        "february-29-in-1949",
        "month-13",
        "day-00",
        "born-before-1880",
        "born-tomorrow",
    ],
)
def test_invalid_numbers_are_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumber, match=reason):
        validate_id_number(raw)


def test_february_29_in_a_leap_year_is_a_real_birth_date() -> None:
    number = compose_id_number("110105", date(1948, 2, 29), 2)

    assert validate_id_number(number) == number


def test_full_width_digits_are_refused_or_normalised() -> None:
    full_width = VALID[:17].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + VALID[17]

    try:
        result = validate_id_number(full_width)
    except InvalidIdNumber:
        return
    assert result == VALID


def test_a_superscript_digit_raises_invalid_id_number() -> None:
    raw = VALID[:8] + "²" + VALID[9:]

    with pytest.raises(ValueError) as caught:
        validate_id_number(raw)
    assert isinstance(caught.value, InvalidIdNumber)


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [
        ("23010219800101123X", "2301**********123X"),
        (VALID, "1101**********002X"),
        ("123456789", "1234*6789"),
        ("12345678", "********"),
        ("", ""),
    ],
)
def test_mask_id_number_keeps_the_first_and_last_four(id_number: str, masked: str) -> None:
    assert mask_id_number(id_number) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张", "张"),
        ("张三", "张*"),
        ("张小三", "张*三"),
        ("欧阳小明", "欧**明"),
        ("", ""),
    ],
)
def test_mask_name_keeps_the_surname_and_the_last_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("account", "masked"),
    [
        ("6222021234567890", "************7890"),
        ("12345", "*2345"),
        ("1234", "1234"),
        ("", ""),
    ],
)
def test_mask_account_keeps_the_last_four(account: str, masked: str) -> None:
    assert mask_account(account) == masked


def test_person_key_is_stable_for_the_same_number_and_secret() -> None:
    assert person_key(VALID, SECRET) == person_key(VALID, SECRET)


def test_person_key_differs_with_another_secret() -> None:
    assert person_key(VALID, SECRET) != person_key(VALID, "another-secret")


def test_person_key_differs_between_people() -> None:
    other = compose_id_number("110105", date(1949, 12, 31), 3)

    assert person_key(VALID, SECRET) != person_key(other, SECRET)


def test_person_key_ignores_the_case_of_x() -> None:
    assert person_key(VALID.lower(), SECRET) == person_key(VALID, SECRET)


def test_person_key_is_a_sha256_hex_digest() -> None:
    key = person_key(VALID, SECRET)

    assert len(key) == 64
    assert set(key) <= set("0123456789abcdef")


born_dates = st.dates(min_value=date(1880, 1, 1), max_value=date.today())
address_codes = st.from_regex(r"[1-8][0-9]{5}", fullmatch=True)
sequences = st.integers(min_value=0, max_value=999)


@given(address_codes, born_dates, sequences)
def test_person_key_never_contains_the_id_number(address: str, born: date, sequence: int) -> None:
    number = compose_id_number(address, born, sequence)

    key = person_key(number, SECRET)

    assert number not in key
    assert number[6:14] not in key


@given(address_codes, born_dates, sequences)
def test_composed_numbers_always_validate(address: str, born: date, sequence: int) -> None:
    number = compose_id_number(address, born, sequence)

    assert validate_id_number(number) == number


@given(
    address_codes,
    born_dates,
    sequences,
    st.integers(min_value=0, max_value=16),
    st.integers(min_value=1, max_value=9),
)
def test_changing_any_one_digit_breaks_validation(
    address: str, born: date, sequence: int, position: int, shift: int
) -> None:
    number = compose_id_number(address, born, sequence)
    changed_digit = str((int(number[position]) + shift) % 10)
    tampered = number[:position] + changed_digit + number[position + 1 :]

    with pytest.raises(InvalidIdNumber):
        validate_id_number(tampered)
