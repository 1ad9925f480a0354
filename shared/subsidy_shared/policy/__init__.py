"""A province's policy as data (who qualifies, amount tiers, timing rules) and the shipped examples.

Shared because three services read it: eligibility decides with it, payment pays each month at the version
in force that month, review applies its stop rule. Eligibility owns the versions and publishes each new one
(`policy.published`); the others keep a copy.
"""

from subsidy_shared.policy.examples import EXAMPLES, example_book
from subsidy_shared.policy.model import (
    Eligibility,
    NoPolicyInForce,
    NursingExtension,
    PolicyBook,
    PolicyVersion,
    ReviewLimits,
    StopRule,
    Tier,
    TransitionPeriod,
)

__all__ = [
    "EXAMPLES",
    "Eligibility",
    "NoPolicyInForce",
    "NursingExtension",
    "PolicyBook",
    "PolicyVersion",
    "ReviewLimits",
    "StopRule",
    "Tier",
    "TransitionPeriod",
    "example_book",
]
