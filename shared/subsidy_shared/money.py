"""Money is integer 分 (fen); months are `YYYY-MM`. Never floats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

Fen = Annotated[int, Field(ge=0, description="amount in 分 (1/100 yuan)")]
# Years 1900–2099: a typo such as 0026-11 must be refused, not turn every month since year 26 into arrears.
Month = Annotated[
    str, Field(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$", description="calendar month, YYYY-MM (1900–2099)")
]


def yuan(fen: int) -> str:
    """Display form: 12345 → '123.45'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def month_of(moment: date | datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"
