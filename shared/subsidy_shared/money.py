"""Money is integer 分 (fen); months are `YYYY-MM`. Never floats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

Fen = Annotated[int, Field(ge=0, description="amount in 分 (1/100 yuan)")]
# Years 1900–2099: a typo such as 0026-11 must be refused, not turn every month since year 26 into arrears.
# [0-9], not \d: \d also matches full-width digits. Periods (a year, a quarter) build on YEAR_PATTERN.
YEAR_PATTERN = "(19|20)[0-9]{2}"
MONTH_PATTERN = f"^{YEAR_PATTERN}-(0[1-9]|1[0-2])$"
Month = Annotated[
    str, Field(pattern=MONTH_PATTERN, description="calendar month, YYYY-MM (1900–2099)", examples=["2026-11"])
]


def yuan(fen: int) -> str:
    """Display form: 12345 → '123.45'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def month_of(moment: date | datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"
