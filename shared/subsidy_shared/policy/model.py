"""A province's policy as data: who qualifies, the amount tiers in 分, and how its cases run."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from subsidy_shared.errors import Unprocessable
from subsidy_shared.events import Subsidy
from subsidy_shared.money import Month
from subsidy_shared.text import Line, Text

# Strict ints: a policy file saying 180.5 (or 180.0, or "180") is refused, never rounded.
StrictFen = Annotated[StrictInt, Field(ge=0, description="amount in 分 (1/100 yuan)")]
Category = Annotated[StrictInt, Field(ge=1, le=7, description="1 视力 … 6 精神, 7 多重")]
Grade = Annotated[StrictInt, Field(ge=1, le=4, description="1 (most severe) … 4")]
Age = Annotated[StrictInt, Field(ge=0, le=150)]
WorkingDays = Annotated[StrictInt, Field(ge=0, le=60)]
HouseholdStatus = Literal["dibao", "near_dibao", "low_income", "severe_unemployed", "tekun"]
LivingExtension = Literal["near_dibao", "low_income", "severe_unemployed"]
StopRule = Literal["next_month", "month_found"]
RenewalAnchor = Literal["new_certificate_month", "application_month"]

MULTIPLE = 7  # 多重残疾


def covers_category(categories: frozenset[int], category: int, components: frozenset[int]) -> bool:
    """A category set covers a 多重 (7) certificate when it lists 7 or one of the combined disabilities."""
    return category in categories or (category == MULTIPLE and not components.isdisjoint(categories))


class PolicyModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NursingExtension(PolicyModel):
    """Extra (category, grade) pairs that qualify for `nursing` beyond grades 1–2 (E2/E6)."""

    categories: frozenset[Category] = Field(min_length=1)
    grades: frozenset[Grade] = Field(min_length=1)

    def covers(self, category: int, grade: int, components: frozenset[int]) -> bool:
        return grade in self.grades and covers_category(self.categories, category, components)


class Eligibility(PolicyModel):
    """Who qualifies beyond the national base (living: 低保 household; nursing: grade 1–2)."""

    living_statuses: frozenset[LivingExtension] = frozenset()
    nursing_extensions: tuple[NursingExtension, ...] = ()


class Tier(PolicyModel):
    """One row of the amount table; a predicate left out (None) matches everyone."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9_.-]+$")
    label: Line = Field(min_length=1, description="shown to the applicant, e.g. 一级")
    monthly_amount_fen: StrictFen
    grades: frozenset[Grade] | None = Field(default=None, min_length=1)
    categories: frozenset[Category] | None = Field(default=None, min_length=1)
    household_statuses: frozenset[HouseholdStatus] | None = Field(default=None, min_length=1)
    min_age: Age | None = None  # inclusive
    max_age: Age | None = None  # inclusive

    @model_validator(mode="after")
    def _age_band_in_order(self) -> Tier:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(f"tier {self.id}: min_age {self.min_age} is above max_age {self.max_age}")
        return self

    @property
    def catch_all(self) -> bool:
        return (
            self.grades is None
            and self.categories is None
            and self.household_statuses is None
            and (self.min_age is None and self.max_age is None)
        )

    def matches(
        self, *, category: int, grade: int, components: frozenset[int], statuses: frozenset[str], age: int
    ) -> bool:
        return (
            (self.grades is None or grade in self.grades)
            and (self.categories is None or covers_category(self.categories, category, components))
            and (self.household_statuses is None or not self.household_statuses.isdisjoint(statuses))
            and (self.min_age is None or age >= self.min_age)
            and (self.max_age is None or age <= self.max_age)
        )


class ReviewLimits(PolicyModel):
    """Working days each level has in the normal (non-跨省) flow; local practice, not national."""

    township: WorkingDays
    county_federation: WorkingDays
    county_civil_affairs: WorkingDays


class TransitionPeriod(PolicyModel):
    """A declared window (疫情、自然灾害) in which the old standard keeps being paid (P7)."""

    from_month: Month
    to_month: Month
    reason: Text = Field(min_length=1)

    @model_validator(mode="after")
    def _in_order(self) -> TransitionPeriod:
        if self.from_month > self.to_month:  # YYYY-MM strings sort as months
            raise ValueError(f"transition from {self.from_month} ends before it starts ({self.to_month})")
        return self


class PolicyVersion(PolicyModel):
    """One province's rules from `effective_from` until the next version starts."""

    province: str = Field(pattern=r"^[0-9]{2}$")
    version: Line = Field(min_length=1)
    effective_from: date
    source: Text = Field(min_length=1, description="POLICY.md source ids, dates, and what is assumed")
    eligibility: Eligibility = Eligibility()
    living_tiers: tuple[Tier, ...] = Field(min_length=1)
    nursing_tiers: tuple[Tier, ...] = Field(min_length=1)
    review_limits: ReviewLimits
    publicity_days: StrictInt = Field(ge=0, le=60, description="0 = no 公示")
    approval_delegated_to_township: StrictBool
    stop_rule: StopRule
    renewal_anchor: RenewalAnchor
    backpay_cap_months: StrictInt = Field(ge=0, le=3)
    transition_periods: tuple[TransitionPeriod, ...] = ()

    @model_validator(mode="after")
    def _tier_ids_unique(self) -> PolicyVersion:
        for subsidy in ("living", "nursing"):
            ids = [tier.id for tier in self.tiers(subsidy)]
            if len(ids) != len(set(ids)):
                raise ValueError(f"{self.version}: {subsidy} tier ids repeat: {sorted(ids)}")
        return self

    def tiers(self, subsidy: Subsidy) -> tuple[Tier, ...]:
        return self.living_tiers if subsidy == "living" else self.nursing_tiers

    def transition_in(self, month: str) -> TransitionPeriod | None:
        return next((t for t in self.transition_periods if t.from_month <= month <= t.to_month), None)


class NoPolicyInForce(Unprocessable):
    """No version of a province's policy covers the day asked about."""


class PolicyBook:
    """Every version of every province's policy; a day is judged by the version in force that day."""

    def __init__(self, versions: Iterable[PolicyVersion] = ()) -> None:
        by_province: dict[str, list[PolicyVersion]] = {}
        for version in versions:
            by_province.setdefault(version.province, []).append(version)
        self._versions = {p: tuple(sorted(vs, key=lambda v: v.effective_from)) for p, vs in by_province.items()}
        for province, ordered in self._versions.items():
            _refuse_duplicates(province, ordered)
        self._starts = {p: [v.effective_from for v in vs] for p, vs in self._versions.items()}

    @property
    def provinces(self) -> tuple[str, ...]:
        return tuple(sorted(self._versions))

    def versions(self, province: str) -> tuple[PolicyVersion, ...]:
        return self._versions.get(province, ())

    def in_force(self, province: str, day: date) -> PolicyVersion:
        """The latest version whose effective_from <= day."""
        starts = self._starts.get(province)
        if not starts:
            raise NoPolicyInForce(f"no policy is recorded for province {province}")
        index = bisect.bisect_right(starts, day) - 1
        if index < 0:
            raise NoPolicyInForce(
                f"no policy of province {province} is in force on {day}: the first starts {starts[0]}"
            )
        return self._versions[province][index]

    def in_force_or_none(self, province: str, day: date) -> PolicyVersion | None:
        """As `in_force`, but None for a province (or a day) no version covers."""
        try:
            return self.in_force(province, day)
        except NoPolicyInForce:
            return None

    def for_month(self, province: str, month: str) -> PolicyVersion:
        """The version that pays a month: the one in force on its first day."""
        year, number = month.split("-")
        return self.in_force(province, date(int(year), int(number), 1))


def _refuse_duplicates(province: str, ordered: tuple[PolicyVersion, ...]) -> None:
    starts = [v.effective_from for v in ordered]
    names = [v.version for v in ordered]
    if len(set(starts)) != len(starts):
        raise ValueError(f"province {province}: two versions start on the same day")
    if len(set(names)) != len(names):
        raise ValueError(f"province {province}: a version id is used twice")
