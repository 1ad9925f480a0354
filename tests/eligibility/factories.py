"""Small builders for eligibility facts: a qualifying person unless a test says otherwise."""

from __future__ import annotations

from datetime import date
from typing import Any

from eligibility_service.policy import Certificate, Facts, OtherAllowance

ON = date(2024, 3, 15)


def certificate(**changes: Any) -> Certificate:
    """A valid 2nd-generation certificate: grade 1 physical (肢体), valid 2020–2030."""
    values: dict[str, Any] = {
        "generation": 2,
        "status": "valid",
        "category": 4,
        "grade": 1,
        "issued_on": date(2020, 1, 1),
        "expires_on": date(2030, 1, 1),
    }
    return Certificate.model_validate(values | changes)


def facts(**changes: Any) -> Facts:
    """A 40-year-old in a 低保 household with `certificate()`, declared long-term care, local hukou."""
    values: dict[str, Any] = {
        "on": ON,
        "certificate": certificate(),
        "household_statuses": frozenset({"dibao"}),
        "age": 40,
        "long_term_care": True,
        "hukou_in_province": True,
    }
    return Facts.model_validate(values | changes)


def allowance(kind: str, scheme: str, name: str, yuan: int) -> OtherAllowance:
    return OtherAllowance.model_validate(
        {"kind": kind, "scheme": scheme, "name": name, "monthly_amount_fen": yuan * 100}
    )
