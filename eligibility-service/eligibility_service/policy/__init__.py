"""Eligibility policy as data and the pure rules that apply it (no I/O)."""

from subsidy_shared.policy.examples import EXAMPLES, example_book
from subsidy_shared.policy.model import (
    Eligibility,
    NoPolicyInForce,
    NursingExtension,
    PolicyBook,
    PolicyVersion,
    ReviewLimits,
    Tier,
    TransitionPeriod,
)

from eligibility_service.policy.rules import (
    NOT_INCOME_FOR_DIBAO,
    Certificate,
    Facts,
    NoMatchingTier,
    OtherAllowance,
    Recommendation,
    counts_as_dibao_income,
    decide,
    evaluate,
    find_tier,
    start_month,
)

__all__ = [
    "EXAMPLES",
    "NOT_INCOME_FOR_DIBAO",
    "Certificate",
    "Eligibility",
    "Facts",
    "NoMatchingTier",
    "NoPolicyInForce",
    "NursingExtension",
    "OtherAllowance",
    "PolicyBook",
    "PolicyVersion",
    "Recommendation",
    "ReviewLimits",
    "Tier",
    "TransitionPeriod",
    "counts_as_dibao_income",
    "decide",
    "evaluate",
    "example_book",
    "find_tier",
    "start_month",
]
