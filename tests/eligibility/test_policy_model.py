"""Policy versions as data: validation, the book of versions in force, and the shipped examples."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from eligibility_service.policy import (
    EXAMPLES,
    NoPolicyInForce,
    PolicyBook,
    PolicyVersion,
    Tier,
    evaluate,
    example_book,
)
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from subsidy_shared.policy.examples import HEILONGJIANG_2016

from tests.eligibility.factories import certificate, facts


def version_data(**changes: Any) -> dict[str, Any]:
    """Heilongjiang 2016 as plain data, as a policy file would hold it."""
    return HEILONGJIANG_2016.model_dump(mode="json") | changes


def tier_data(**changes: Any) -> dict[str, Any]:
    return {"id": "living.all", "label": "全省统一标准", "monthly_amount_fen": 8000} | changes


# ---- validation ---------------------------------------------------------------------------------


def test_a_policy_round_trips_through_json() -> None:
    for version in EXAMPLES:
        assert PolicyVersion.model_validate_json(version.model_dump_json()) == version


@pytest.mark.parametrize("amount", [180.5, 18000.0, "18000", True, -1], ids=repr)
def test_amounts_must_be_whole_non_negative_fen(amount: object) -> None:
    with pytest.raises(ValidationError, match="monthly_amount_fen"):
        Tier.model_validate(tier_data(monthly_amount_fen=amount))


def test_a_float_amount_in_a_policy_file_is_refused() -> None:
    raw = HEILONGJIANG_2016.model_dump_json().replace('"monthly_amount_fen":8000', '"monthly_amount_fen":180.5')
    with pytest.raises(ValidationError, match="monthly_amount_fen"):
        PolicyVersion.model_validate_json(raw)


@pytest.mark.parametrize("cap", [0, 1, 2, 3])
def test_backpay_cap_up_to_three_months(cap: int) -> None:
    assert PolicyVersion.model_validate(version_data(backpay_cap_months=cap)).backpay_cap_months == cap


@pytest.mark.parametrize("cap", [-1, 4, 12, 1.5])
def test_backpay_cap_beyond_three_months_is_refused(cap: object) -> None:
    with pytest.raises(ValidationError, match="backpay_cap_months"):
        PolicyVersion.model_validate(version_data(backpay_cap_months=cap))


@pytest.mark.parametrize("field", ["living_tiers", "nursing_tiers"])
def test_each_subsidy_needs_a_tier(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        PolicyVersion.model_validate(version_data(**{field: []}))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"living_tiers": [tier_data(), tier_data()]}, "tier ids repeat", id="repeated-tier-id"),
        pytest.param({"province": "230"}, "province", id="province-is-two-digits"),
        pytest.param({"stop_rule": "never"}, "stop_rule", id="unknown-stop-rule"),
        pytest.param({"renewal_anchor": "decision_month"}, "renewal_anchor", id="unknown-renewal-anchor"),
        pytest.param({"publicity_days": -1}, "publicity_days", id="negative-publicity"),
        pytest.param({"approval_delegated_to_township": "yes"}, "approval_delegated", id="delegation-is-a-bool"),
        pytest.param({"review_limits": {"township": 10}}, "county_federation", id="every-review-level"),
        pytest.param({"colour": "red"}, "colour", id="unknown-field"),
        pytest.param(
            {"eligibility": {"living_statuses": ["tekun"]}}, "living_statuses", id="tekun-cannot-extend-living"
        ),
        pytest.param(
            {"eligibility": {"nursing_extensions": [{"categories": [5], "grades": [5]}]}},
            "nursing_extensions",
            id="extension-grade-1-to-4",
        ),
        pytest.param(
            {"transition_periods": [{"from_month": "2022-05", "to_month": "2022-03", "reason": "疫情"}]},
            "ends before it starts",
            id="transition-in-order",
        ),
        pytest.param(
            {"transition_periods": [{"from_month": "2022-13", "to_month": "2023-01", "reason": "疫情"}]},
            "from_month",
            id="transition-months-are-months",
        ),
    ],
)
def test_bad_policy_data_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PolicyVersion.model_validate(version_data(**changes))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"grades": []}, "grades", id="empty-predicate-would-match-nobody"),
        pytest.param({"min_age": 18, "max_age": 17}, "min_age 18 is above max_age 17", id="age-band-in-order"),
        pytest.param({"id": "Living All"}, "id", id="tier-id-is-a-slug"),
        pytest.param({"categories": [8]}, "categories", id="categories-1-to-7"),
    ],
)
def test_bad_tier_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Tier.model_validate(tier_data(**changes))


def test_policy_versions_are_frozen() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        HEILONGJIANG_2016.backpay_cap_months = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("month", "covered"), [("2022-02", False), ("2022-03", True), ("2022-05", True), ("2022-06", False)]
)
def test_transition_period_covers_its_months(month: str, covered: bool) -> None:
    policy = PolicyVersion.model_validate(
        version_data(transition_periods=[{"from_month": "2022-03", "to_month": "2022-05", "reason": "疫情"}])
    )
    assert (policy.transition_in(month) is not None) is covered


@pytest.mark.parametrize(("age", "matches"), [(0, True), (17, True), (18, False)])
def test_age_band_is_inclusive(age: int, matches: bool) -> None:
    minors = Tier.model_validate(tier_data(min_age=0, max_age=17))
    assert minors.matches(category=4, grade=1, components=frozenset(), statuses=frozenset(), age=age) is matches


# ---- the book of versions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("province", "day", "version"),
    [
        pytest.param("23", date(2016, 1, 1), "23-2016-01", id="HL-first-day"),
        pytest.param("23", date(2030, 6, 1), "23-2016-01", id="HL-still-in-force"),
        pytest.param("31", date(2021, 12, 1), "31-2021-12", id="SH-2021-first-day"),
        pytest.param("31", date(2025, 6, 30), "31-2021-12", id="SH-day-before-raise"),
        pytest.param("31", date(2025, 7, 1), "31-2025-07", id="SH-raise-day"),
        pytest.param("44", date(2024, 12, 31), "44-2021-01", id="GD-end-of-2024"),
        pytest.param("44", date(2025, 1, 1), "44-2025-01", id="GD-2025"),
        pytest.param("44", date(2026, 1, 1), "44-2026-01", id="GD-2026"),
    ],
)
def test_in_force_is_the_latest_version_started(province: str, day: date, version: str) -> None:
    assert example_book().in_force(province, day).version == version


@pytest.mark.parametrize(
    ("province", "day", "message"),
    [
        pytest.param("23", date(2015, 12, 31), "first starts 2016-01-01", id="before-the-first-version"),
        pytest.param("11", date(2025, 1, 1), "no policy is recorded for province 11", id="unknown-province"),
    ],
)
def test_no_version_in_force_is_a_clear_error(province: str, day: date, message: str) -> None:
    with pytest.raises(NoPolicyInForce, match=message) as raised:
        example_book().in_force(province, day)
    assert raised.value.status == 422


def test_for_month_pays_a_month_at_the_version_in_force_on_its_first_day() -> None:
    book = example_book()
    assert book.for_month("31", "2025-06").version == "31-2021-12"
    assert book.for_month("31", "2025-07").version == "31-2025-07"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"version": "23-other"}, "start on the same day", id="same-start-day"),
        pytest.param({"effective_from": date(2020, 1, 1)}, "version id is used twice", id="same-version-id"),
    ],
)
def test_a_book_refuses_ambiguous_versions(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PolicyBook([HEILONGJIANG_2016, HEILONGJIANG_2016.model_copy(update=changes)])


def test_book_lists_provinces_and_versions_in_order() -> None:
    book = PolicyBook(reversed(EXAMPLES))
    assert book.provinces == ("23", "31", "44")
    assert [v.version for v in book.versions("44")] == ["44-2021-01", "44-2025-01", "44-2026-01"]
    assert book.versions("11") == ()


@st.composite
def books(draw: st.DrawFn) -> PolicyBook:
    starts = draw(st.lists(st.dates(date(2016, 1, 1), date(2030, 12, 31)), min_size=1, max_size=6, unique=True))
    return PolicyBook(
        HEILONGJIANG_2016.model_copy(update={"effective_from": day, "version": f"23-{i}"})
        for i, day in enumerate(starts)
    )


@given(book=books(), first=st.dates(date(2016, 1, 1), date(2032, 12, 31)), gap=st.integers(0, 4000))
def test_in_force_is_monotone_in_the_date(book: PolicyBook, first: date, gap: int) -> None:
    starts = [v.effective_from for v in book.versions("23")]
    second = first + timedelta(days=gap)
    if first < starts[0]:
        with pytest.raises(NoPolicyInForce):
            book.in_force("23", first)
        return
    earlier, later = book.in_force("23", first), book.in_force("23", second)
    assert earlier.effective_from <= later.effective_from <= second
    assert not [s for s in starts if earlier.effective_from < s <= first]  # nothing newer had started


@given(amount=st.floats(allow_nan=False, allow_infinity=False) | st.integers(max_value=-1))
def test_no_float_or_negative_amount_is_ever_accepted(amount: float) -> None:
    with pytest.raises(ValidationError):
        Tier.model_validate(tier_data(monthly_amount_fen=amount))


# ---- the shipped examples -----------------------------------------------------------------------


@pytest.mark.parametrize("policy", EXAMPLES, ids=lambda p: p.version)
def test_every_example_cites_policy_md_and_says_what_is_assumed(policy: PolicyVersion) -> None:
    assert "POLICY.md §3" in policy.source
    assert "Assumed" in policy.source
    assert str(policy.effective_from.year) in policy.source


@pytest.mark.parametrize(
    ("version", "living", "nursing"),
    [
        pytest.param("23-2016-01", 8000, 10000, id="HL-80-100"),
        pytest.param("44-2021-01", 18100, 24300, id="GD-181-243"),
        pytest.param("44-2025-01", 20900, 28000, id="GD-209-280"),
        pytest.param("44-2026-01", 21700, 29000, id="GD-217-290"),
    ],
)
def test_single_rate_examples(version: str, living: int, nursing: int) -> None:
    policy = next(p for p in EXAMPLES if p.version == version)
    assert [t.monthly_amount_fen for t in policy.living_tiers] == [living]
    assert [t.monthly_amount_fen for t in policy.nursing_tiers] == [nursing]
    assert policy.living_tiers[0].catch_all and policy.nursing_tiers[0].catch_all


@pytest.mark.parametrize("policy", EXAMPLES, ids=lambda p: p.version)
def test_every_qualifying_profile_has_a_tier(policy: PolicyVersion) -> None:
    statuses = [frozenset({s}) for s in ("dibao", "near_dibao", "low_income", "severe_unemployed")]
    for category in range(1, 8):
        for grade in range(1, 5):
            combinations = [frozenset({5}), frozenset({6}), frozenset({1, 4})] if category == 7 else [frozenset()]
            for components in combinations:
                for household in statuses:
                    cert = certificate(category=category, grade=grade, components=components)
                    for got in evaluate(facts(certificate=cert, household_statuses=household), policy):
                        assert got.outcome == "refused" or got.tier is not None
