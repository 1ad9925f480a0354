"""The eligibility rules of POLICY.md §1–§2 (E1…E7, X1…X13), one scenario per row; ids name the rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import get_args

import pytest
from eligibility_service.policy import (
    EXAMPLES,
    NOT_INCOME_FOR_DIBAO,
    Facts,
    PolicyVersion,
    Tier,
    counts_as_dibao_income,
    decide,
    evaluate,
    example_book,
    find_tier,
    start_month,
)
from eligibility_service.policy.rules import AllowanceScheme, Certificate, NoMatchingTier, OtherAllowance
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from subsidy_shared.policy.examples import GUANGDONG_2026, HEILONGJIANG_2016, SHANGHAI_2021, SHANGHAI_2025

from tests.eligibility.factories import ON, allowance, certificate, facts

HL, SH21, SH25, GD26 = HEILONGJIANG_2016, SHANGHAI_2021, SHANGHAI_2025, GUANGDONG_2026


@dataclass(frozen=True)
class Want:
    outcome: str
    fen: int | None
    rules: frozenset[str]


def ok(fen: int, *rules: str) -> Want:
    """Approved at `fen`; `rules` must be among the reasons."""
    return Want("approved", fen, frozenset(rules))


def no(*rules: str) -> Want:
    """Refused for exactly these rules."""
    return Want("refused", None, frozenset(rules))


NOT_DIBAO = frozenset[str]()
INTELLECTUAL_3 = certificate(category=5, grade=3)

SPECIAL_CARE_200 = allowance("nursing", "disabled_elderly_special_care", "失能老人特别照顾", 200)
CADRE_NURSING_500 = allowance("nursing", "retired_cadre", "离休护理费", 500)


def multiple_3(components: set[int]) -> Certificate:
    """A grade-3 多重 certificate combining `components`."""
    return certificate(category=7, grade=3, components=frozenset(components))


# fmt: off
CASES = [
    pytest.param(
        HL, facts(), ok(8000, "E1.living.dibao", "standard.living.all"), ok(10000, "E2.nursing.grade"),
        id="E1-E2-E7-HL-grade1-physical-in-dibao-gets-both-8000-10000",
    ),
    pytest.param(
        HL, facts(household_statuses=NOT_DIBAO), no("E1.living.not_dibao"), ok(10000, "E2.nursing.grade"),
        id="E1-HL-not-in-dibao-no-living-nursing-still",
    ),
    pytest.param(
        HL, facts(household_statuses=frozenset({"low_income"})), no("E1.living.not_dibao"), ok(10000),
        id="E1-E6-HL-does-not-extend-living-to-low-income",
    ),
    pytest.param(
        SH21, facts(household_statuses=frozenset({"low_income"}), certificate=certificate(category=1, grade=4)),
        ok(29000, "E6.living.extension", "standard.living.low_income"), no("E2.nursing.not_severe"),
        id="E6-SH-low-income-grade4-visual-living-290-no-nursing",
    ),
    pytest.param(
        SH21, facts(household_statuses=frozenset({"severe_unemployed"})),
        ok(41000, "E6.living.extension", "standard.living.dibao"), ok(30000, "standard.nursing.grade1"),
        id="E6-SH-severe-unemployed-living-410",
    ),
    pytest.param(
        HL, facts(certificate=INTELLECTUAL_3, household_statuses=NOT_DIBAO),
        no("E1.living.not_dibao"), no("E2.nursing.not_severe"),
        id="E2-HL-grade3-intellectual-gets-no-nursing",
    ),
    pytest.param(
        SH21, facts(certificate=INTELLECTUAL_3, household_statuses=NOT_DIBAO),
        no("E1.living.not_dibao"), ok(15000, "E6.nursing.extension", "standard.nursing.grade3_intellectual_mental"),
        id="E2-E6-SH-grade3-intellectual-gets-nursing-only-150",
    ),
    pytest.param(
        SH21, facts(certificate=certificate(category=6, grade=3)), ok(41000), ok(15000, "E6.nursing.extension"),
        id="E6-SH-grade3-mental-in-dibao-gets-both",
    ),
    pytest.param(
        SH21, facts(certificate=certificate(category=4, grade=3)), ok(41000), no("E2.nursing.not_severe"),
        id="E2-SH-grade3-physical-not-extended",
    ),
    pytest.param(
        SH21, facts(certificate=multiple_3({4, 5}), household_statuses=NOT_DIBAO),
        no("E1.living.not_dibao"), ok(15000, "E6.nursing.extension"),
        id="E6-SH-grade3-multiple-incl-intellectual-gets-nursing",
    ),
    pytest.param(
        SH21, facts(certificate=multiple_3({1, 4}), household_statuses=NOT_DIBAO),
        no("E1.living.not_dibao"), no("E2.nursing.not_severe"),
        id="E6-SH-grade3-multiple-without-intellectual-or-mental-refused",
    ),
    pytest.param(
        SH21, facts(certificate=certificate(category=5, grade=4)), ok(41000), no("E2.nursing.not_severe"),
        id="E2-SH-grade4-intellectual-not-extended",
    ),
    pytest.param(
        HL, facts(certificate=certificate(grade=2)), ok(8000), ok(10000, "E2.nursing.grade"),
        id="E2-HL-grade2-is-severe",
    ),
    pytest.param(
        HL, facts(long_term_care=False), ok(8000), no("E3.long_term_care"),
        id="E3-no-long-term-care-declared-no-nursing",
    ),
    pytest.param(
        HL, facts(certificate=certificate(expires_on=ON - timedelta(days=1))),
        no("E4.certificate.expired"), no("E4.certificate.expired"),
        id="E4-certificate-expired-the-day-before-application-refused",
    ),
    pytest.param(
        HL, facts(certificate=certificate(expires_on=ON)), ok(8000, "E4.certificate"), ok(10000, "E4.certificate"),
        id="E4-certificate-expiring-on-application-day-still-valid",
    ),
    pytest.param(
        HL, facts(certificate=certificate(status="expired")),
        no("E4.certificate.expired"), no("E4.certificate.expired"),
        id="E4-certificate-marked-expired-refused",
    ),
    pytest.param(
        HL, facts(certificate=certificate(status="revoked")),
        no("E4.certificate.revoked"), no("E4.certificate.revoked"),
        id="E4-certificate-revoked-refused",
    ),
    pytest.param(
        HL, facts(certificate=certificate(status="frozen")), no("E4.certificate.frozen"), no("E4.certificate.frozen"),
        id="E4-certificate-frozen-refused",
    ),
    pytest.param(
        HL, facts(certificate=None, long_term_care=False),
        no("E4.certificate.missing"), no("E4.certificate.missing", "E3.long_term_care"),
        id="E4-E3-no-certificate-refused-with-every-reason",
    ),
    pytest.param(
        HL, facts(certificate=certificate(generation=1)),
        no("E4.certificate.generation"), no("E4.certificate.generation"),
        id="E4-first-generation-certificate-refused",
    ),
    pytest.param(
        HL, facts(certificate=certificate(generation=3)), ok(8000), ok(10000),
        id="E4-third-generation-certificate-accepted",
    ),
    pytest.param(
        HL, facts(certificate=certificate(issued_on=ON + timedelta(days=1))),
        no("E4.certificate.not_yet_issued"), no("E4.certificate.not_yet_issued"),
        id="E4-certificate-issued-after-application-refused",
    ),
    pytest.param(
        HL, facts(hukou_in_province=False), no("E5.hukou"), no("E5.hukou"),
        id="E5-hukou-outside-province-refused",
    ),
    pytest.param(
        HL, facts(deceased=True), no("E0.deceased"), no("E0.deceased"),
        id="E0-deceased-refused-both",
    ),
    pytest.param(
        HL, facts(household_statuses=frozenset({"dibao", "tekun"})), no("X1.tekun"), no("X1.tekun"),
        id="X1-tekun-gets-neither",
    ),
    pytest.param(
        HL, facts(work_injury_care_allowance=True), no("X2.work_injury_care"), no("X2.work_injury_care"),
        id="X2-work-injury-care-allowance-gets-neither",
    ),
    pytest.param(
        HL, facts(orphan_basic_living=True, age=10), no("X3.orphan"), ok(10000, "X3.orphan", "E2.nursing.grade"),
        id="X3-orphan-gets-nursing-only",
    ),
    pytest.param(
        HL, facts(de_facto_unsupported_child_full_allowance=True, age=8),
        no("X4.de_facto_unsupported_child"), ok(10000, "X4.de_facto_unsupported_child"),
        id="X4-de-facto-unsupported-child-gets-nursing-only",
    ),
    pytest.param(
        HL, facts(other_allowances=(allowance("living", "work_related", "因公致残生活补助", 120),)),
        no("X5.choose_higher"), ok(10000),
        id="X5-higher-work-related-living-allowance-refuses-living",
    ),
    pytest.param(
        HL, facts(other_allowances=(allowance("living", "other", "其他生活津贴", 50),)),
        ok(8000, "X5.choose_higher"), ok(10000),
        id="X5-lower-living-allowance-living-approved",
    ),
    pytest.param(
        HL, facts(other_allowances=(allowance("nursing", "other", "其他护理津贴", 100),)),
        ok(8000), ok(10000, "X5.choose_higher"),
        id="X5-equal-allowance-keeps-the-subsidy",
    ),
    pytest.param(
        HL, facts(age=82, other_allowances=(allowance("nursing", "elderly_care", "老年人护理补贴", 150),)),
        ok(8000), no("X6.elderly_care_allowance"),
        id="X6-higher-elderly-care-allowance-refuses-nursing",
    ),
    pytest.param(
        HL, facts(age=82, other_allowances=(allowance("nursing", "elderly_care", "老年人护理补贴", 60),)),
        ok(8000), ok(10000, "X6.elderly_care_allowance", "X13.no_age_stop"),
        id="X6-lower-elderly-care-allowance-nursing-approved",
    ),
    pytest.param(
        HL, facts(age=85, stacking_allowances=("高龄津贴",)), ok(8000, "X7.stacks"), ok(10000, "X7.stacks"),
        id="X7-high-age-allowance-stacks",
    ),
    pytest.param(
        HL, facts(age=75, other_allowances=(SPECIAL_CARE_200,)),
        ok(8000), no("X8.disabled_elderly_special_care"),
        id="X8-higher-disabled-elderly-special-care-refuses-nursing",
    ),
    pytest.param(
        HL, facts(age=90, retired_cadre=True), no("X9.retired_cadre"), ok(10000, "X9.retired_cadre"),
        id="X9-retired-cadre-no-living-nursing-approved",
    ),
    pytest.param(
        HL, facts(age=90, retired_cadre=True, other_allowances=(CADRE_NURSING_500,)),
        no("X9.retired_cadre"), no("X9.retired_cadre"),
        id="X9-retired-cadre-higher-nursing-allowance-chosen",
    ),
    pytest.param(
        HL, facts(disabled_veteran=True), ok(8000, "X10.disabled_veteran"), ok(10000, "X10.disabled_veteran"),
        id="X10-disabled-veteran-with-certificate-qualifies",
    ),
    pytest.param(
        HL, facts(disabled_veteran=True, certificate=None), no("E4.certificate.missing"), no("E4.certificate.missing"),
        id="X10-E4-disabled-veteran-without-certificate-refused",
    ),
    pytest.param(
        HL, facts(studying_away=True, age=19), ok(8000, "X12.student_away"), ok(10000, "X12.student_away"),
        id="X12-student-away-keeps-household-membership",
    ),
    pytest.param(
        HL, facts(age=75), ok(8000, "X13.no_age_stop"), ok(10000, "X13.no_age_stop"),
        id="X13-over-60-not-stopped",
    ),
    pytest.param(
        GD26, facts(), ok(21700), ok(29000),
        id="E1-E2-GD-2026-amounts",
    ),
]
# fmt: on


@pytest.mark.parametrize(("policy", "person", "living", "nursing"), CASES)
def test_rule(policy: PolicyVersion, person: Facts, living: Want, nursing: Want) -> None:
    for got, want in zip(evaluate(person, policy), (living, nursing), strict=True):
        assert (got.outcome, got.monthly_amount_fen) == (want.outcome, want.fen), got.reasons
        if want.outcome == "refused":
            assert set(got.rule_ids) == want.rules
            assert got.tier is None
        else:
            assert want.rules <= set(got.rule_ids)
            assert got.tier is not None and f"standard.{got.tier}" in got.rule_ids
        assert got.policy_version == policy.version


# ---- E7: two independent entitlements ---------------------------------------------------------


@pytest.mark.parametrize(
    "person",
    [
        pytest.param(facts(), id="E7-both-approved"),
        pytest.param(facts(orphan_basic_living=True), id="E7-living-refused-nursing-unaffected"),
        pytest.param(facts(long_term_care=False), id="E7-nursing-refused-living-unaffected"),
    ],
)
def test_E7_each_subsidy_is_decided_on_its_own(person: Facts) -> None:
    living, nursing = evaluate(person, HL)
    both_approved = living.outcome == nursing.outcome == "approved"
    assert ("E7.both" in living.rule_ids) is both_approved
    assert ("E7.both" in nursing.rule_ids) is both_approved
    alone = decide(person, HL, "living"), decide(person, HL, "nursing")
    for together, single in zip((living, nursing), alone, strict=True):
        assert (together.outcome, together.monthly_amount_fen) == (single.outcome, single.monthly_amount_fen)


# ---- reason texts -------------------------------------------------------------------------------


def test_X5_refusal_names_the_higher_allowance() -> None:
    person = facts(other_allowances=(allowance("living", "work_related", "因公致残生活补助", 120),))
    (reason,) = decide(person, HL, "living").reasons
    assert reason.text.startswith("择高: 已享受更高的因公致残生活补助")
    assert "120.00" in reason.text


def test_X6_approval_says_the_other_allowance_must_stop() -> None:
    person = facts(other_allowances=(allowance("nursing", "elderly_care", "老年人护理补贴", 60),))
    reason = next(r for r in decide(person, HL, "nursing").reasons if r.rule_id == "X6.elderly_care_allowance")
    assert "应停发老年人护理补贴" in reason.text


def test_X11_subsidies_do_not_count_as_dibao_income() -> None:
    assert counts_as_dibao_income() is False
    assert NOT_INCOME_FOR_DIBAO.rule_id == "X11.not_income_for_dibao"
    assert "不计入" in NOT_INCOME_FOR_DIBAO.text


def test_E1_every_reason_has_applicant_text_in_chinese() -> None:
    for recommendation in evaluate(facts(other_allowances=(allowance("living", "other", "津贴", 1),)), SH25):
        assert recommendation.reasons
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r.text) for r in recommendation.reasons)


def test_E4_facts_used_are_recorded_without_other_kinds_allowances() -> None:
    person = facts(other_allowances=(allowance("nursing", "elderly_care", "老年人护理补贴", 60),))
    living, nursing = evaluate(person, HL)
    assert living.facts_used["certificate"]["grade"] == 1
    assert living.facts_used["household_statuses"] == ["dibao"]
    assert living.facts_used["other_allowances"] == []
    assert "long_term_care" not in living.facts_used
    assert nursing.facts_used["other_allowances"][0]["name"] == "老年人护理补贴"
    assert nursing.facts_used["long_term_care"] is True


# ---- policy versions over time ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "living_fen", "nursing_fen", "version"),
    [
        pytest.param(date(2025, 6, 30), 41000, 30000, "31-2021-12", id="E1-E2-SH-2025-06-30-old-standard"),
        pytest.param(date(2025, 7, 1), 45000, 35000, "31-2025-07", id="E1-E2-SH-2025-07-01-raised-standard"),
    ],
)
def test_E1_E2_shanghai_raise_on_2025_07_01(day: date, living_fen: int, nursing_fen: int, version: str) -> None:
    policy = example_book().in_force("31", day)
    living, nursing = evaluate(facts(on=day), policy)
    assert (living.monthly_amount_fen, nursing.monthly_amount_fen) == (living_fen, nursing_fen)
    assert living.policy_version == nursing.policy_version == version


@pytest.mark.parametrize(
    ("day", "outcome", "fen"),
    [
        pytest.param(date(2025, 6, 30), "refused", None, id="E6-SH-near-dibao-not-extended-before-2025-07"),
        pytest.param(date(2025, 7, 1), "approved", 32000, id="E6-SH-near-dibao-extended-from-2025-07-01"),
    ],
)
def test_E6_shanghai_near_dibao_from_2025_07(day: date, outcome: str, fen: int | None) -> None:
    person = facts(on=day, household_statuses=frozenset({"near_dibao"}))
    living = decide(person, example_book().in_force("31", day), "living")
    assert (living.outcome, living.monthly_amount_fen) == (outcome, fen)


# ---- tiers and start month ----------------------------------------------------------------------


def test_E2_missing_tier_for_a_qualifying_person_is_a_policy_error() -> None:
    gap = SH21.model_copy(
        update={
            "nursing_tiers": (Tier(id="nursing.grade1", label="一级", monthly_amount_fen=1, grades=frozenset({1})),)
        }
    )
    with pytest.raises(NoMatchingTier, match="grade 2"):
        decide(facts(certificate=certificate(grade=2)), gap, "nursing")


@pytest.mark.parametrize(
    ("submitted_at", "month"),
    [
        pytest.param(date(2025, 6, 30), "2025-06", id="P1-date"),
        pytest.param(datetime(2025, 6, 30, 17, 0, tzinfo=UTC), "2025-07", id="P1-utc-evening-is-next-day-in-beijing"),
        pytest.param(datetime(2025, 6, 30, 23, 0, tzinfo=timezone(timedelta(hours=8))), "2025-06", id="P1-beijing"),
        pytest.param(datetime(2025, 12, 31, 23, 59), "2025-12", id="P1-naive-is-beijing-time"),
    ],
)
def test_start_month_is_the_month_handed_in(submitted_at: date, month: str) -> None:
    assert start_month(submitted_at) == month


def test_decision_carries_start_month_only_when_approved() -> None:
    living, nursing = evaluate(facts(long_term_care=False), HL)
    start = start_month(ON)
    approved, refused = living.decision(start), nursing.decision(start)
    assert (approved.start_month, approved.monthly_amount_fen, approved.tier) == ("2024-03", 8000, "living.all")
    assert (refused.start_month, refused.monthly_amount_fen) == (None, None)
    assert refused.reasons == nursing.reasons


# ---- invariants ---------------------------------------------------------------------------------

KNOWN_RULE_PREFIXES = ("standard.", *(f"E{n}." for n in range(8)), *(f"X{n}." for n in range(1, 14)))
ALLOWANCE_NAMES = ["老年人护理补贴", "因公致残护理费", "离休护理费", "失能老人特别照顾"]
dates = st.dates(date(2016, 1, 1), date(2027, 12, 31))
categories_and_components = st.integers(1, 6).map(lambda c: (c, frozenset[int]())) | st.tuples(
    st.just(7), st.frozensets(st.integers(1, 6), max_size=3)
)
certificates = categories_and_components.flatmap(
    lambda cc: st.builds(
        Certificate,
        generation=st.integers(1, 3),
        status=st.sampled_from(["valid", "valid", "expired", "revoked", "frozen"]),
        category=st.just(cc[0]),
        grade=st.integers(1, 4),
        components=st.just(cc[1]),
        issued_on=st.dates(date(2008, 1, 1), date(2027, 12, 31)),
        expires_on=st.none() | dates,
    )
)
allowances = st.builds(
    OtherAllowance,
    kind=st.sampled_from(["living", "nursing"]),
    scheme=st.sampled_from(get_args(AllowanceScheme)),
    name=st.sampled_from(ALLOWANCE_NAMES),
    monthly_amount_fen=st.integers(0, 10**6),
)
people = st.builds(
    Facts,
    on=dates,
    certificate=st.none() | certificates,
    household_statuses=st.frozensets(
        st.sampled_from(["dibao", "near_dibao", "low_income", "severe_unemployed", "tekun"])
    ),
    age=st.integers(0, 120),
    long_term_care=st.booleans(),
    hukou_in_province=st.booleans(),
    orphan_basic_living=st.booleans(),
    de_facto_unsupported_child_full_allowance=st.booleans(),
    work_injury_care_allowance=st.booleans(),
    retired_cadre=st.booleans(),
    disabled_veteran=st.booleans(),
    studying_away=st.booleans(),
    other_allowances=st.lists(allowances, max_size=3).map(tuple),
    stacking_allowances=st.lists(st.just("高龄津贴"), max_size=1).map(tuple),
    deceased=st.booleans(),
)


@given(person=people, policy=st.sampled_from(EXAMPLES))
def test_amounts_are_whole_fen_and_every_decision_names_its_rules(person: Facts, policy: PolicyVersion) -> None:
    for got in evaluate(person, policy):  # never NoMatchingTier: the example tables cover who qualifies
        assert got.reasons
        assert all(r.rule_id.startswith(KNOWN_RULE_PREFIXES) for r in got.reasons)
        if got.outcome == "approved":
            assert type(got.monthly_amount_fen) is int and got.monthly_amount_fen >= 0
            assert got.tier in {t.id for t in policy.tiers(got.subsidy)}
        else:
            assert got.monthly_amount_fen is None and got.tier is None


@st.composite
def tables_with_a_catch_all(draw: st.DrawFn) -> tuple[Tier, ...]:
    sets = st.none() | st.frozensets(st.integers(1, 4), min_size=1)
    rows = [
        Tier(
            id=f"t{i}",
            label="档",
            monthly_amount_fen=draw(st.integers(0, 10**7)),
            grades=draw(sets),
            categories=draw(st.none() | st.frozensets(st.integers(1, 7), min_size=1)),
            household_statuses=draw(st.none() | st.frozensets(st.sampled_from(["dibao", "low_income"]), min_size=1)),
            min_age=draw(st.none() | st.integers(0, 60)),
            max_age=draw(st.none() | st.integers(60, 120)),
        )
        for i in range(draw(st.integers(0, 4)))
    ]
    rows.insert(
        draw(st.integers(0, len(rows))), Tier(id="all", label="其他", monthly_amount_fen=draw(st.integers(0, 10**7)))
    )
    return tuple(rows)


@given(person=people.filter(lambda p: p.certificate is not None), tiers=tables_with_a_catch_all())
def test_tier_lookup_is_total_with_a_catch_all(person: Facts, tiers: tuple[Tier, ...]) -> None:
    policy = HL.model_validate(HL.model_dump() | {"living_tiers": tiers})
    found = find_tier(policy, "living", person)
    assert found is not None
    assert tiers.index(found) <= next(i for i, t in enumerate(tiers) if t.catch_all)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"category": 5, "components": frozenset({4})}, "only a 多重", id="E4-components-only-for-multiple"
        ),
        pytest.param({"category": 7, "components": frozenset({7})}, "components", id="E4-components-are-1-to-6"),
        pytest.param({"grade": 5}, "grade", id="E4-grade-1-to-4"),
    ],
)
def test_E4_certificate_facts_are_checked(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        certificate(**changes)
