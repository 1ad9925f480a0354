"""Pydantic field types for personal and regional data, so every service validates them the same way."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from subsidy_shared.certificates import parse_certificate_number
from subsidy_shared.ids import validate_id_number
from subsidy_shared.regions import Level, parse_region


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


IdNumber = Annotated[str, Field(examples=["11010519491231002X"]), AfterValidator(_id_number)]
RegionCode = Annotated[str, Field(examples=["510104001"]), AfterValidator(_region)]
TownshipCode = Annotated[str, Field(examples=["230102001"]), AfterValidator(_township)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9\-]{5,20}$", examples=["13800000000"])]
PersonName = Annotated[str, Field(min_length=1, max_length=50)]
CertificateNumber = Annotated[
    str, Field(min_length=20, max_length=20, examples=["11010519491231002X41"]), AfterValidator(_certificate)
]
