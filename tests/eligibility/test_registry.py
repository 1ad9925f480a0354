"""The registry read model (out-of-order delivery), the Facts built from it, and changes after approval."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from eligibility_service.models import RegistryFact
from eligibility_service.registry import Applicant, build_facts, status_of
from subsidy_shared.auth import Role
from subsidy_shared.events import BenefitChanged, EligibilityDecided, FindingConcluded, FindingConcludedData

from tests.conftest import ServiceDatabase, token_for
from tests.eligibility.conftest import (
    HARBIN_TOWNSHIP,
    SHANGHAI_TOWNSHIP,
    Api,
    apply,
    arrive,
    at,
    certificate,
    dibao,
    outbox_events,
    person,
    record,
)

ON = date(2026, 11, 23)
APPLICANT = Applicant(id_number=person(1).id_number, hukou_region=HARBIN_TOWNSHIP)


def row(kind: str, status: str = "active", effective: date | None = None, **facts: Any) -> RegistryFact:
    return RegistryFact(
        person_key="pk",
        record_kind=kind,
        record_id=f"{kind}-{status}-{effective}",
        source="test",
        change=status,
        status=status,
        region=None,
        effective_date=effective,
        facts=facts,
        observed_at=at("2026-01-05"),
    )


CERT = row("certificate", category=4, grade=2, issued_on="2020-01-01", expires_on="2030-01-01")


# ---- the read model --------------------------------------------------------------------------------


async def test_an_older_observation_arriving_late_does_not_replace_the_newer(db: ServiceDatabase) -> None:
    who = person(51)
    newer = certificate(who, grade=2, change="changed", observed=at("2026-06-01"))
    older = certificate(who, grade=1, change="issued", observed=at("2026-01-01"))

    await apply(db, newer)
    await apply(db, older)

    sql = "SELECT status, facts->>'grade', observed_at FROM registry_facts WHERE person_key = :k"
    async with db.engine.connect() as conn:
        held = (await conn.execute(sa.text(sql), {"k": who.key})).one()
    assert held == ("active", "2", at("2026-06-01"))


async def test_a_newer_observation_replaces_the_record(db: ServiceDatabase) -> None:
    who = person(52)
    await apply(db, certificate(who, observed=at("2026-01-01")))
    await apply(db, certificate(who, change="expired", observed=at("2026-06-01"), effective=date(2026, 5, 31)))

    assert await db.scalar("SELECT status FROM registry_facts WHERE person_key = :k", k=who.key) == "expired"


def test_changes_map_to_record_statuses() -> None:
    changes = ("issued", "changed", "started", "recorded", "moved", "reissuing", "expired", "revoked", "ended")
    assert [status_of(c) for c in changes] == [
        "active",
        "active",
        "active",
        "active",  # a death is recorded
        "active",  # a hukou moved out (or a card moved with it) is in force
        "active",  # P6: a card being reissued for a new category/grade still counts
        "expired",
        "revoked",
        "ended",
    ]


# ---- facts from rows -------------------------------------------------------------------------------


def test_household_statuses_are_those_in_force_on_the_day() -> None:
    rows = [
        CERT,
        row("dibao", "active", date(2024, 1, 1)),
        row("near_dibao", "active", date(2027, 1, 1)),  # starts after the day judged
        row("tekun", "ended", date(2026, 12, 1)),  # ended only after the day: it was running then
    ]

    facts = build_facts(rows, ON, "23", APPLICANT)

    assert facts.household_statuses == frozenset({"dibao", "tekun"})
    assert facts.certificate is not None and facts.certificate.grade == 2
    assert facts.hukou_in_province and facts.long_term_care and facts.age == 75


def test_the_newest_certificate_issued_by_the_day_counts_even_if_an_old_one_expired_later() -> None:
    old = row("certificate", "expired", date(2026, 6, 1), category=4, grade=3, issued_on="2016-06-01")
    new = row("certificate", "active", date(2026, 5, 20), category=4, grade=1, issued_on="2026-05-20")
    old.observed_at = at("2026-07-01")  # the old card's expiry reached us after the new card

    facts = build_facts([new, old], ON, "23", APPLICANT)

    assert facts.certificate is not None
    assert (facts.certificate.grade, facts.certificate.status) == (1, "valid")


def test_flags_and_allowances_come_from_their_record_kinds() -> None:
    rows = [
        CERT,
        row("orphan", effective=date(2015, 1, 1)),
        row("work_injury_care_allowance"),
        row("military_disability_care"),
        row("elderly_care_allowance", monthly_amount_fen=20000, name="老年人护理补贴"),
        row("elderly_care_allowance", stacks=True, name="高龄津贴"),
        row("death", effective=date(2026, 12, 1)),  # after the day judged
    ]

    facts = build_facts(rows, ON, "23", APPLICANT)

    assert facts.orphan_basic_living and facts.work_injury_care_allowance and facts.disabled_veteran
    assert [(a.kind, a.scheme, a.monthly_amount_fen) for a in facts.other_allowances] == [
        ("nursing", "elderly_care", 20000)
    ]
    assert facts.stacking_allowances == ("高龄津贴",)
    assert facts.deceased is False


def test_a_hukou_moved_out_of_the_province_is_not_local_and_a_death_is_deceased() -> None:
    rows = [CERT, row("hukou_moved", to_region="510104001"), row("cremation", effective=date(2026, 11, 1))]

    facts = build_facts(rows, ON, "23", APPLICANT)

    assert facts.hukou_in_province is False and facts.deceased is True


def test_long_term_care_follows_the_declaration_when_the_case_has_one() -> None:
    grade3 = row("certificate", category=4, grade=3, issued_on="2020-01-01")
    declared = Applicant(APPLICANT.id_number, HARBIN_TOWNSHIP, long_term_care=False)

    assert build_facts([grade3], ON, "23", APPLICANT).long_term_care is False
    assert build_facts([CERT], ON, "23", declared).long_term_care is False


# ---- after approval --------------------------------------------------------------------------------


async def _approved_in_shanghai(api: Api, db: ServiceDatabase, sequence: int) -> Any:
    who = person(sequence, hukou=SHANGHAI_TOWNSHIP)
    case_id = await arrive(db, who, certificate(who), dibao(who))
    county = "310101"
    tokens = {
        "review": token_for(Role.TOWNSHIP_REVIEWER, SHANGHAI_TOWNSHIP),
        "verify": token_for(Role.COUNTY_DISABILITY_FEDERATION, county),
        "approve": token_for(Role.COUNTY_CIVIL_AFFAIRS, county),
    }
    for path, token in tokens.items():
        assert (await api.post(f"/v1/cases/{case_id}/{path}", token, {"outcome": "pass"})).status_code == 200
    [decided] = [e for e in await outbox_events(db) if isinstance(e, EligibilityDecided)]
    amounts = {d.subsidy: d.monthly_amount_fen for d in decided.data.decisions}
    assert amounts == {"living": 45000, "nursing": 35000}
    return who


async def test_a_grade_change_after_approval_sends_benefit_changed_from_the_next_month(
    api: Api, db: ServiceDatabase
) -> None:
    who = await _approved_in_shanghai(api, db, 61)
    regraded = certificate(
        who,
        grade=2,
        change="changed",
        effective=date(2027, 2, 10),
        observed=at("2027-02-11"),
        facts={"issued_on": "2027-02-10"},
    )

    await apply(db, regraded, now=at("2027-02-11"))

    [changed] = [e for e in await outbox_events(db) if isinstance(e, BenefitChanged)]
    data = changed.data
    assert (data.subsidy, data.effective_month, data.tier, data.monthly_amount_fen) == (
        "nursing",
        "2027-03",
        "nursing.grade2",
        18000,
    )
    assert data.reason.rule_id == "standard.nursing.grade2" and data.policy_version == "31-2025-07"
    assert changed.person_key == who.key
    held = await db.scalar(
        "SELECT monthly_amount_fen FROM beneficiaries WHERE person_key = :k AND subsidy = 'nursing'", k=who.key
    )
    assert held == 18000
    living = await db.scalar(
        "SELECT monthly_amount_fen FROM beneficiaries WHERE person_key = :k AND subsidy = 'living'", k=who.key
    )
    assert living == 45000  # the living tier does not depend on the grade: nothing sent for it


async def test_a_change_that_ends_eligibility_is_only_marked_for_review(api: Api, db: ServiceDatabase) -> None:
    who = await _approved_in_shanghai(api, db, 62)
    regraded = certificate(who, grade=4, change="changed", effective=date(2027, 2, 10), observed=at("2027-02-11"))

    await apply(db, regraded, now=at("2027-02-11"))

    assert not [e for e in await outbox_events(db) if isinstance(e, BenefitChanged)]
    flag = await db.scalar(
        "SELECT needs_review FROM beneficiaries WHERE person_key = :k AND subsidy = 'nursing'", k=who.key
    )
    assert "E2.nursing.not_severe" in flag["rule_ids"]
    assert flag["record"]["kind"] == "certificate"
    assert await db.scalar("SELECT monthly_amount_fen FROM beneficiaries WHERE subsidy = 'nursing'") == 35000


async def test_an_unrelated_record_of_another_kind_changes_nothing_for_a_beneficiary(
    api: Api, db: ServiceDatabase
) -> None:
    who = await _approved_in_shanghai(api, db, 63)
    await apply(db, record(who, "pension", "started", effective=date(2027, 1, 1), observed=at("2027-01-02")))

    assert not [e for e in await outbox_events(db) if isinstance(e, BenefitChanged)]
    assert await db.scalar("SELECT count(*) FROM beneficiaries WHERE needs_review IS NOT NULL") == 0


def _concluded(who: Any, action: str, month: str, subsidies: tuple[str, ...] = ("nursing",)) -> FindingConcluded:
    data = FindingConcludedData.model_validate(
        {
            "finding_id": uuid.uuid4(),
            "person_key": who.key,
            "subsidies": subsidies,
            "action": action,
            "effective_month": month,
            "concluded_by": "county-civil-affairs",
            "reason": "复核：等级变更",
            "concluded_at": at("2027-02-20"),
        }
    )
    return FindingConcluded(source="test", data=data)


async def test_a_rate_change_concluded_by_review_is_recomputed_from_its_month(api: Api, db: ServiceDatabase) -> None:
    who = await _approved_in_shanghai(api, db, 64)
    regraded = certificate(
        who, grade=2, change="changed", effective=date(2027, 2, 10), observed=at("2027-02-11"),
        facts={"issued_on": "2027-02-10"}, record_id="cert-new",
    )  # fmt: skip
    await apply(db, regraded, now=at("2027-02-11"))
    async with db.engine.begin() as conn:  # as if the grade had been recorded without a recomputation
        await conn.exec_driver_sql("DELETE FROM outbox")
        await conn.exec_driver_sql(
            "UPDATE beneficiaries SET tier = 'nursing.grade1', monthly_amount_fen = 35000 WHERE subsidy = 'nursing'"
        )

    await apply(db, _concluded(who, "rate_change", "2027-04"), now=at("2027-02-20"))

    [changed] = [e for e in await outbox_events(db) if isinstance(e, BenefitChanged)]
    assert (changed.data.effective_month, changed.data.tier, changed.data.monthly_amount_fen) == (
        "2027-04",
        "nursing.grade2",
        18000,
    )
    assert changed.data.reason.text.startswith("复核结论（复核：等级变更）后")
    assert await db.scalar("SELECT monthly_amount_fen FROM beneficiaries WHERE subsidy = 'nursing'") == 18000


async def test_a_terminate_conclusion_ends_the_subsidy_and_later_records_leave_it_alone(
    api: Api, db: ServiceDatabase
) -> None:
    who = await _approved_in_shanghai(api, db, 65)

    await apply(db, _concluded(who, "terminate", "2027-03", ("living", "nursing")), now=at("2027-02-20"))
    await apply(
        db,
        certificate(
            who,
            grade=2,
            change="changed",
            effective=date(2027, 4, 10),
            observed=at("2027-04-11"),
            facts={"issued_on": "2027-04-10"},
            record_id="cert-after",
        ),
        now=at("2027-04-11"),
    )

    rows = await db.scalar("SELECT array_agg(status || ':' || status_month ORDER BY subsidy) FROM beneficiaries")
    assert rows == ["terminated:2027-03", "terminated:2027-03"]
    assert not [e for e in await outbox_events(db) if isinstance(e, BenefitChanged)]
    assert await db.scalar("SELECT count(*) FROM audit_log WHERE action = 'finding concluded: terminate'") == 2
