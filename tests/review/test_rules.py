"""The pure review rules: one finding rule per registry source, the stop month, certificate mismatches."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from review_service.rules import (
    CertificateView,
    Context,
    Receiving,
    Record,
    certificate_mismatches,
    effective_month,
    months_between,
    propose,
    shown_evidence,
    survival_failed,
)
from subsidy_shared.policy import example_book

TODAY = date(2026, 11, 25)
BOTH = Receiving(hukou_region="230103002", amounts={"living": 8000, "nursing": 10000})
NURSING_ONLY = Receiving(hukou_region="230103002", amounts={"nursing": 10000})
LIVING_ONLY = Receiving(hukou_region="230103002", amounts={"living": 8000})
CTX = Context(today=TODAY)


def rec(record_kind: str, change: str = "started", day: date | None = date(2026, 9, 1), **facts: Any) -> Record:
    return Record("registry", f"{record_kind}-1", record_kind, change, day, facts, observed_on=date(2026, 11, 20))


RULE_CASES = [
    # (record, person, context, expected (rule id, subsidies, action) or None)
    pytest.param(rec("death", "recorded"), BOTH, CTX, ("death.recorded", ("living", "nursing"), "terminate"),
                 id="death"),
    pytest.param(rec("death", "revoked"), BOTH, CTX, None, id="death-record-withdrawn"),
    pytest.param(rec("cremation", "recorded"), BOTH, CTX, ("cremation.recorded", ("living", "nursing"), "terminate"),
                 id="cremation"),
    pytest.param(rec("declared_death", "recorded"), NURSING_ONLY, CTX,
                 ("declared_death.recorded", ("nursing",), "terminate"), id="declared-death-of-what-they-get"),
    pytest.param(rec("missing", day=date(2026, 5, 25)), BOTH, CTX,
                 ("missing.six_months", ("living", "nursing"), "terminate"), id="missing-six-months"),
    pytest.param(rec("missing", day=date(2026, 5, 26)), BOTH, CTX,
                 ("missing.reported", ("living", "nursing"), "suspend"), id="missing-a-day-short"),
    pytest.param(rec("missing", "ended"), BOTH, CTX, None, id="missing-found-again"),
    pytest.param(rec("hukou_moved", "moved", to_region="110105"), BOTH, CTX,
                 ("hukou_moved.out_of_county", ("living", "nursing"), "terminate"), id="moved-to-beijing"),
    pytest.param(rec("hukou_moved", "moved", to_region="230103005"), BOTH, CTX, None, id="moved-inside-the-county"),
    pytest.param(rec("hukou_moved", "moved"), BOTH, CTX,
                 ("hukou_moved.out_of_county", ("living", "nursing"), "terminate"), id="moved-out-destination-unknown"),
    pytest.param(rec("imprisonment"), BOTH, CTX, ("imprisonment.serving", ("living", "nursing"), "suspend"),
                 id="imprisonment"),
    pytest.param(rec("imprisonment", "ended"), BOTH, CTX, None, id="released-never-suspended"),
    pytest.param(rec("imprisonment", "ended"),
                 Receiving("230103002", {"living": 8000, "nursing": 10000}, suspended=frozenset({"nursing"})), CTX,
                 ("imprisonment.released", ("nursing",), "continue"), id="released-resumes-what-was-suspended"),
    pytest.param(rec("tekun"), BOTH, CTX, ("X1.tekun", ("living", "nursing"), "terminate"), id="tekun-both"),
    pytest.param(rec("work_injury_care_allowance"), BOTH, CTX,
                 ("X2.work_injury_care_allowance", ("living", "nursing"), "terminate"), id="work-injury-both"),
    pytest.param(rec("orphan"), BOTH, CTX, ("X3.orphan", ("living",), "terminate"), id="orphan-living-only"),
    pytest.param(rec("orphan"), NURSING_ONLY, CTX, None, id="orphan-nursing-stays"),
    pytest.param(rec("de_facto_unsupported_child"), BOTH, CTX,
                 ("X4.de_facto_unsupported_child", ("living",), "terminate"), id="de-facto-full"),
    pytest.param(rec("de_facto_unsupported_child", full_allowance=False), BOTH, CTX, None, id="de-facto-partial"),
    pytest.param(rec("dibao", "ended"), BOTH, CTX, ("E1.dibao_ended", ("living",), "terminate"), id="dibao-ended"),
    pytest.param(rec("dibao", "ended"), NURSING_ONLY, CTX, None, id="dibao-ended-nursing-only"),
    pytest.param(rec("dibao", "ended"),
                 Receiving("310101002", {"living": 45000}, frozenset({"near_dibao"})),
                 Context(TODAY, frozenset({"near_dibao", "low_income"})), None, id="dibao-ended-extension-keeps"),
    pytest.param(rec("dibao", "ended"), Receiving("230103002", {"living": 8000}, frozenset({"near_dibao"})), CTX,
                 ("E1.dibao_ended", ("living",), "terminate"), id="near-dibao-not-extended-in-heilongjiang"),
    pytest.param(rec("dibao", "started"), BOTH, CTX, None, id="dibao-started"),
    pytest.param(rec("certificate", "revoked"), BOTH, CTX, ("certificate.revoked", ("living", "nursing"), "terminate"),
                 id="certificate-revoked"),
    pytest.param(rec("certificate", "frozen"), BOTH, CTX, ("certificate.frozen", ("living", "nursing"), "suspend"),
                 id="certificate-frozen"),
    pytest.param(rec("certificate", "expired"), BOTH, CTX, None, id="certificate-expiry-is-automatic-P4"),
    pytest.param(rec("certificate", "reissuing"), BOTH, CTX, None, id="reissuing-old-rate-P6"),
    pytest.param(rec("pension", monthly_amount_fen=9000), LIVING_ONLY, CTX, ("X5.pension", ("living",), "rate_change"),
                 id="pension-higher"),
    pytest.param(rec("pension", monthly_amount_fen=5000), LIVING_ONLY, CTX, ("X5.pension", ("living",), "continue"),
                 id="pension-lower"),
    pytest.param(rec("retirement_cadre"), BOTH, CTX, ("X5.retirement_cadre", ("nursing",), "continue"),
                 id="retired-cadre-amount-unknown"),
    pytest.param(rec("military_disability_care", monthly_amount_fen=20000), BOTH, CTX,
                 ("X5.military_disability_care", ("nursing",), "rate_change"), id="military-care-higher"),
    pytest.param(rec("pension", kind="nursing", monthly_amount_fen=1), LIVING_ONLY, CTX, None,
                 id="allowance-of-a-kind-they-do-not-get"),
    pytest.param(rec("near_dibao"), BOTH, CTX, None, id="no-rule-for-near-dibao"),
]  # fmt: skip


@pytest.mark.parametrize(("record", "person", "ctx", "expected"), RULE_CASES)
def test_each_source_raises_its_finding(
    record: Record, person: Receiving, ctx: Context, expected: tuple[str, tuple[str, ...], str] | None
) -> None:
    proposal = propose(record, person, ctx)
    if expected is None:
        assert proposal is None
        return
    assert proposal is not None
    assert (proposal.rule_id, proposal.subsidies, proposal.action) == expected
    assert proposal.evidence["record_id"] == record.record_id and proposal.text


PRIVATE: dict[str, Any] = {
    "name": "张三",
    "relative_id_number": "11010519491231002X",
    "phone": "13800000000",
    "address": "某街1号",
}

EVIDENCE_CASES = [
    pytest.param(rec("death", "recorded", **PRIVATE), {}, id="death-shows-no-facts"),
    pytest.param(rec("certificate", "revoked", category=4, grade=1, issued_on="2020-01-01", expires_on="2030-01-01",
                     **PRIVATE), {"issued_on": "2020-01-01", "expires_on": "2030-01-01"},
                 id="certificate-dates-not-category-or-grade"),
    pytest.param(rec("hukou_moved", "moved", to_region="110105", **PRIVATE), {"to_region": "110105"}, id="moved"),
    pytest.param(rec("pension", monthly_amount_fen=9000, **PRIVATE), {"monthly_amount_fen": 9000}, id="pension"),
    pytest.param(rec("de_facto_unsupported_child", full_allowance=True, **PRIVATE), {"full_allowance": True},
                 id="child-allowance"),
    pytest.param(rec("hukou_moved", "moved", to_region={"id": "11010519491231002X"}), {}, id="no-nested-values"),
]  # fmt: skip


@pytest.mark.parametrize(("record", "shown"), EVIDENCE_CASES)
def test_evidence_shows_only_the_whitelisted_facts_of_the_kind(record: Record, shown: dict[str, Any]) -> None:
    proposal = propose(record, BOTH, CTX)
    assert proposal is not None
    assert proposal.evidence["facts"] == shown


def test_stored_evidence_is_shown_through_the_whitelist() -> None:
    stored = {"text": "死亡记录", "record_kind": "death", "facts": PRIVATE, "record_id": "d-1"}
    assert shown_evidence(stored) == {"text": "死亡记录", "record_kind": "death", "facts": {}, "record_id": "d-1"}
    assert shown_evidence({"method": "video"}) == {"method": "video"}


def test_a_fact_without_a_date_counts_from_the_day_it_was_observed() -> None:
    proposal = propose(rec("tekun", day=None), BOTH, CTX)
    assert proposal is not None and proposal.day == date(2026, 11, 20)


@pytest.mark.parametrize(
    ("rule", "day", "found", "expected"),
    [
        ("next_month", date(2026, 9, 15), date(2026, 11, 25), "2026-10"),
        ("next_month", date(2026, 12, 31), date(2026, 11, 25), "2027-01"),
        ("month_found", date(2026, 9, 15), date(2026, 11, 25), "2026-11"),
        ("month_found", date(2027, 1, 3), date(2026, 11, 25), "2027-01"),  # never before the fact's month
    ],
)
def test_the_effective_month_is_the_first_month_not_paid(rule: Any, day: date, found: date, expected: str) -> None:
    assert effective_month(rule, day, found) == expected


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2026, 1, 6), date(2026, 7, 6), 6),
        (date(2026, 1, 6), date(2026, 7, 5), 5),
        (date(2025, 12, 31), date(2026, 1, 1), 0),
    ],
)
def test_months_between_counts_whole_months(start: date, end: date, months: int) -> None:
    assert months_between(start, end) == months


def test_a_failed_survival_check_suggests_suspending_what_they_get() -> None:
    proposal = survival_failed("face_recognition", date(2026, 11, 20), NURSING_ONLY)
    assert proposal is not None
    assert (proposal.rule_id, proposal.subsidies, proposal.action) == ("survival.failed", ("nursing",), "suspend")


SHANGHAI = example_book().in_force("31", TODAY)
VALID = CertificateView("issued", 4, 1, date(2030, 1, 1))
MISMATCH_CASES = [
    pytest.param("11010519491231002X41", ("living", "nursing"), VALID, None, [], id="all-agrees"),
    pytest.param("11010519491231002X41", ("nursing",), None, None, ["certificate_missing"], id="no-certificate"),
    pytest.param("11010519491231002X41", ("nursing",), CertificateView("revoked", 4, 1, None), None,
                 ["certificate_revoked"], id="revoked"),
    pytest.param("11010519491231002X41", ("nursing",), CertificateView("frozen", 4, 1, None), None,
                 ["certificate_frozen"], id="frozen"),
    pytest.param("11010519491231002X41", ("living",), CertificateView("issued", 4, 1, date(2026, 11, 1)), None,
                 ["certificate_expired"], id="expired-by-date-without-a-record"),
    pytest.param("11010519491231002X42", ("living",), VALID, None, ["category_grade_differs"], id="grade-differs"),
    pytest.param("11010519491231002X43", ("nursing",), CertificateView("changed", 4, 3, date(2030, 1, 1)), None,
                 ["nursing_grade_not_covered"], id="grade3-physical-nursing"),
    pytest.param("11010519491231002X53", ("nursing",), CertificateView("changed", 5, 3, date(2030, 1, 1)), SHANGHAI,
                 [], id="grade3-intellectual-nursing-in-shanghai"),
]  # fmt: skip


@pytest.mark.parametrize(("number", "subsidies", "card", "policy", "expected"), MISMATCH_CASES)
def test_certificate_data_against_what_was_granted(
    number: str, subsidies: tuple[str, ...], card: CertificateView | None, policy: Any, expected: list[str]
) -> None:
    assert certificate_mismatches(number, subsidies, card, TODAY, policy) == expected
