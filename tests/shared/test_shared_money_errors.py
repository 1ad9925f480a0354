"""Money display, months, and error texts that never leak personal input."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from subsidy_shared.bus import describe_error
from subsidy_shared.errors import Conflict, DomainError, Forbidden, NotFound, Unauthorized, Unprocessable
from subsidy_shared.ids import InvalidIdNumber
from subsidy_shared.money import Fen, Month, month_of, yuan
from subsidy_shared.validators import IdNumber, TownshipCode

SECRET_ID_NUMBER = "230102198001011231"  # a wrong check digit, so validation fails and reports it


class Applicant(BaseModel):
    id_number: IdNumber
    window: TownshipCode
    monthly_fen: Fen
    month: Month


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0.00"),
        (5, "0.05"),
        (50, "0.50"),
        (100, "1.00"),
        (12345, "123.45"),
        (-150, "-1.50"),
        (-5, "-0.05"),
        (123456789, "1234567.89"),
    ],
)
def test_yuan_shows_fen_as_yuan_with_two_decimals(fen: int, text: str) -> None:
    assert yuan(fen) == text


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_yuan_text_parses_back_to_the_same_fen(fen: int) -> None:
    whole, cents = yuan(fen).lstrip("-").split(".")

    assert (-1 if fen < 0 else 1) * (int(whole) * 100 + int(cents)) == fen


@pytest.mark.parametrize(
    ("moment", "month"),
    [
        (date(2025, 1, 31), "2025-01"),
        (date(2025, 12, 1), "2025-12"),
        (datetime(2026, 2, 28, 23, 59, tzinfo=UTC), "2026-02"),
        (date(999, 7, 4), "0999-07"),
    ],
)
def test_month_of_gives_year_and_month(moment: date | datetime, month: str) -> None:
    assert month_of(moment) == month


@pytest.mark.parametrize(
    ("field", "value"),
    [("month", "2025-13"), ("month", "2025-1"), ("month", "0026-11"), ("month", "2１26-11"), ("monthly_fen", -1)],
    ids=["month-13", "one-digit-month", "year-typo", "fullwidth-digit", "negative-fen"],
)
def test_money_types_refuse_bad_values(field: str, value: object) -> None:
    values: dict[str, object] = {
        "id_number": "11010519491231002X",
        "window": "230102001",
        "monthly_fen": 8000,
        "month": "2025-10",
    }

    with pytest.raises(ValidationError, match=field):
        Applicant.model_validate({**values, field: value})


def _validation_error(**overrides: object) -> ValidationError:
    values: dict[str, object] = {
        "id_number": SECRET_ID_NUMBER,
        "window": "230102001",
        "monthly_fen": 8000,
        "month": "2025-10",
    }
    values.update(overrides)
    with pytest.raises(ValidationError) as caught:
        Applicant.model_validate(values)
    return caught.value


def test_describe_error_names_the_field_and_the_reason() -> None:
    text = describe_error(_validation_error())

    assert text.startswith("Applicant: ")
    assert "id_number: Value error, the check digit does not match" in text


@pytest.mark.parametrize(
    ("overrides", "secret"),
    [
        ({}, SECRET_ID_NUMBER),
        ({"id_number": "23010219800101123"}, "23010219800101123"),
        ({"id_number": "2301021980O101123X"}, "2301021980O101123X"),
        ({"window": "6228480012345678"}, "6228480012345678"),
        ({"month": "2025-13-secret"}, "2025-13-secret"),
    ],
    ids=["bad-check-digit", "too-short", "letter-inside", "account-as-window", "bad-month"],
)
def test_describe_error_of_a_validation_error_never_contains_the_input(
    overrides: dict[str, object], secret: str
) -> None:
    error = _validation_error(**overrides)
    assert secret in str(error)  # pydantic's own text does echo it: that is why describe_error exists

    assert secret not in describe_error(error)


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (RuntimeError("the broker is away"), "RuntimeError: the broker is away"),
        (KeyError("living"), "KeyError: 'living'"),
        (InvalidIdNumber("an ID number has 18 characters"), "InvalidIdNumber: an ID number has 18 characters"),
        (Conflict("an open application exists"), "Conflict: an open application exists"),
    ],
)
def test_describe_error_of_a_plain_exception_is_type_and_message(exc: BaseException, text: str) -> None:
    assert describe_error(exc) == text


def test_describe_error_is_cut_to_900_characters() -> None:
    assert len(describe_error(RuntimeError("x" * 5000))) == 900


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DomainError("bad"), 400),
        (Unauthorized("no token"), 401),
        (Forbidden("outside region"), 403),
        (NotFound("no such case"), 404),
        (Conflict("duplicate"), 409),
        (Unprocessable("invalid"), 422),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, DomainError) else str(v),
)
def test_each_domain_error_carries_its_http_status(error: DomainError, status: int) -> None:
    assert error.status == status


def test_unprocessable_at_names_the_field() -> None:
    error = Unprocessable.at(("body", "hukou_region"), "999999 is not a GB/T 2260 region code")

    assert error.errors == [{"loc": ["body", "hukou_region"], "msg": "999999 is not a GB/T 2260 region code"}]
    assert error.message == "999999 is not a GB/T 2260 region code"
