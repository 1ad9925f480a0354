"""Pydantic field types for personal and regional data, so every service validates them the same way."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from subsidy_shared.certificates import parse_certificate_number
from subsidy_shared.ids import validate_id_number
from subsidy_shared.regions import Level, parse_region
from subsidy_shared.text import Line


def _id_number(value: str) -> str:
    return validate_id_number(value)  # InvalidIdNumber is a ValueError: pydantic reports its message


def _region(value: str) -> str:
    parse_region(value)
    return value


def _township(value: str) -> str:
    if parse_region(value).level is not Level.TOWNSHIP:
        raise ValueError("a window is a township (乡镇/街道): a 9-digit region code")
    return value


def _certificate(value: str) -> str:
    parse_certificate_number(value)
    return value.strip().upper()


def _area(value: str) -> str:
    if parse_region(value).level in (Level.TOWNSHIP, Level.VILLAGE):
        raise ValueError("a county, city or province: a 6-digit region code (a township is not an area here)")
    return value


IdNumber = Annotated[
    str,
    Field(json_schema_extra={"pattern": r"^[0-9]{17}[0-9Xx]$"}, examples=["11010519491231002X"]),
    AfterValidator(_id_number),
]
RegionCode = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": r"^[0-9]{6}([0-9]{3}){0,2}$"},
        description="GB/T 2260: 6 digits county/city/province, 9 township, 12 village",
        examples=["510104001"],
    ),
    AfterValidator(_region),
]
# Reports and supervision lists are per county, city or province.
AreaCode = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": r"^[0-9]{6}$"},
        description="GB/T 2260 county, city or province (6 digits)",
        examples=["230103"],
    ),
    AfterValidator(_area),
]
TownshipCode = Annotated[
    str,
    Field(json_schema_extra={"pattern": r"^[0-9]{9}$"}, examples=["230102001"]),
    AfterValidator(_township),
]


def matching(pattern: str, message: str) -> AfterValidator:
    """A pattern checked with a message people understand (pydantic's own quotes the regular expression);
    pair it with `Field(json_schema_extra={"pattern": pattern})` so the OpenAPI document states it."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


# A mainland mobile number (optionally +86) or a landline with its area code (and an extension).
PHONE_PATTERN = r"^((\+86)?1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-?[1-9][0-9]{6,7}(-[0-9]{1,6})?)$"
Phone = Annotated[
    Line,
    Field(max_length=24, json_schema_extra={"pattern": PHONE_PATTERN}, examples=["13800000000", "0451-86661234"]),
    matching(PHONE_PATTERN, "a mobile number (1[3-9] and 9 digits) or a landline with its area code (0451-8666123)"),
]
# Han characters (basic, extension A, compatibility, extensions B–G) and Latin letters with their accents; a
# minority name's separator (· or ・), a space, an apostrophe or a hyphen inside, never at either end.
_LETTER = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
)
PERSON_NAME_PATTERN = f"^[{_LETTER}]([{_LETTER}\u00b7\u30fb.' -]*[{_LETTER}])?$"
PersonName = Annotated[
    Line,
    Field(
        min_length=1,
        max_length=50,
        json_schema_extra={"pattern": PERSON_NAME_PATTERN},
        examples=["张三", "阿依古丽·买买提"],
    ),
    matching(PERSON_NAME_PATTERN, "a person's name: letters, with · ' - or a space only between them"),
]
ACCOUNT_PATTERN = r"^[0-9]{12,30}$"
BankAccountNumber = Annotated[
    str,
    Field(json_schema_extra={"pattern": ACCOUNT_PATTERN}, examples=["6228480000000000000"]),
    matching(ACCOUNT_PATTERN, "a bank account number is 12 to 30 digits"),
]
# The keyed hash that stands in for an ID number (ids.person_key: 64 hex digits; other systems' keys are alike).
PERSON_KEY_PATTERN = r"^[A-Za-z0-9_-]{8,128}$"
PersonKey = Annotated[
    str,
    Field(json_schema_extra={"pattern": PERSON_KEY_PATTERN}, examples=["3f6c1e0a9b2d4c5e"]),
    matching(PERSON_KEY_PATTERN, "a person key is 8 to 128 letters, digits, - or _"),
]
CertificateNumber = Annotated[
    str, Field(min_length=20, max_length=20, examples=["11010519491231002X41"]), AfterValidator(_certificate)
]
