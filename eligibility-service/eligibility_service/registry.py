"""The registry read model: the newest state of each record of a person, and the Facts built from it.

Interpretations (the registry sends records, the rules want facts):
- a record is in force on a day when it is `active` from its effective_date (or has no date), or when it
  ended/expired/… only after that day (it was still running then);
- the certificate is the newest issued on or before the day (else the newest at all), so an old card's late
  `expired` message does not hide the new card;
- a certificate `moved` (迁出) stays valid — the hukou is judged from the case and `hukou_moved` records —
  while revoked, ended or any unknown state counts as not valid;
- `long_term_care` (E3) is taken as declared for a grade 1–2 certificate or one the province's nursing
  extension covers, unless the case records what the applicant declared — nobody evidences E3 separately.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.errors import Unprocessable
from subsidy_shared.events import RegistryRecordChangedData
from subsidy_shared.ids import birth_date
from subsidy_shared.registry import in_force

from eligibility_service import repository
from eligibility_service.models import Case, RegistryFact
from eligibility_service.policy import Certificate, Facts, OtherAllowance, PolicyVersion

ACTIVE = "active"
# Registry states of a certificate record → the Certificate.status the rules know; anything else is not valid.
_CERTIFICATE_STATUS = {ACTIVE: "valid", "moved": "valid", "expired": "expired", "frozen": "frozen"}
HOUSEHOLD_KINDS = frozenset({"dibao", "near_dibao", "low_income", "severe_unemployed", "tekun"})
DEATH_KINDS = frozenset({"death", "declared_death", "cremation"})


class IncompleteRegistryRecord(Unprocessable):
    """A registry record whose facts the rules cannot read (a missing grade, a bad date …)."""


def status_of(change: str) -> str:
    """issued/changed/started/recorded/moved/reissuing → active; expired, revoked, frozen, ended stay as they are."""
    return ACTIVE if in_force(change) else change


async def record(session: AsyncSession, data: RegistryRecordChangedData) -> bool:
    """Upsert one record; False when an older observation arrived after a newer one (kept the newer)."""
    return await repository.upsert_registry_fact(
        session,
        {
            "person_key": data.person_key,
            "record_kind": data.record_kind,
            "record_id": data.record_id,
            "source": data.source,
            "change": data.change,
            "status": status_of(data.change),
            "region": data.region,
            "effective_date": data.effective_date,
            "facts": data.model_dump(mode="json")["facts"],  # dates in facts become ISO strings
            "observed_at": data.observed_at,
        },
    )


@dataclass(frozen=True, slots=True)
class Applicant:
    """What the case (not the registry) says of the person."""

    id_number: str
    hukou_region: str
    long_term_care: bool | None = None  # declared on the case; None: derived from the certificate

    @classmethod
    def of(cls, case: Case) -> Applicant:
        return cls(case.application["applicant"]["id_number"], case.hukou_region, case.long_term_care_declared)


async def facts_for(
    session: AsyncSession,
    person_key: str,
    on: date,
    province: str,
    applicant: Applicant,
    policy: PolicyVersion | None = None,
) -> Facts:
    """The pure `Facts` of one person on `on`, from the registry rows and the case."""
    rows = await repository.registry_facts_of(session, person_key)
    return build_facts(rows, on, province, applicant, policy)


def build_facts(
    rows: Sequence[RegistryFact], on: date, province: str, applicant: Applicant, policy: PolicyVersion | None = None
) -> Facts:
    live = [r for r in rows if in_force_on(r, on)]
    kinds = {r.record_kind for r in live}
    certificate = _certificate(rows, on)
    other, stacking = _allowances(live)
    return Facts(
        on=on,
        certificate=certificate,
        household_statuses=frozenset(kinds & HOUSEHOLD_KINDS),
        age=_age(applicant.id_number, on),
        long_term_care=_long_term_care(applicant, certificate, policy),
        hukou_in_province=applicant.hukou_region.startswith(province) and not _moved_out(live, province),
        orphan_basic_living="orphan" in kinds,
        de_facto_unsupported_child_full_allowance=any(
            r.record_kind == "de_facto_unsupported_child" and r.facts.get("full_allowance", True) for r in live
        ),
        work_injury_care_allowance="work_injury_care_allowance" in kinds,
        retired_cadre="retirement_cadre" in kinds,
        disabled_veteran="military_disability_care" in kinds,
        other_allowances=other,
        stacking_allowances=stacking,
        deceased=not kinds.isdisjoint(DEATH_KINDS),
    )


def in_force_on(row: RegistryFact, on: date) -> bool:
    if row.status == ACTIVE:
        return row.effective_date is None or row.effective_date <= on
    # Ended, expired … after `on`: it was running that day (if it had started by then).
    started = _date(row.facts.get("started_on"))
    return row.effective_date is not None and row.effective_date > on and (started is None or started <= on)


def _certificate(rows: Iterable[RegistryFact], on: date) -> Certificate | None:
    candidates = [(r, _issued_on(r)) for r in rows if r.record_kind == "certificate"]
    if not candidates:
        return None
    row, issued = max(candidates, key=lambda c: (c[1] <= on, c[1], c[0].observed_at))
    status = _CERTIFICATE_STATUS.get(row.status, "revoked")
    if status != "valid" and row.effective_date is not None and row.effective_date > on:
        status = "valid"  # it expired or was cancelled only after the day judged
    facts = row.facts
    try:
        return Certificate.model_validate(
            {
                "generation": facts.get("generation", 2),  # the national registry holds 2nd-generation cards
                "status": status,
                "category": facts.get("category"),
                "grade": facts.get("grade"),
                "components": facts.get("components") or [],
                "issued_on": issued,
                "expires_on": facts.get("expires_on"),
            }
        )
    except ValidationError as exc:
        raise IncompleteRegistryRecord(f"certificate record {row.record_id} cannot be read: {_fields(exc)}") from exc


def _issued_on(row: RegistryFact) -> date:
    return _date(row.facts.get("issued_on")) or row.effective_date or row.observed_at.date()


def _allowances(live: Iterable[RegistryFact]) -> tuple[tuple[OtherAllowance, ...], tuple[str, ...]]:
    """Same-kind allowances for 择高 (X5/X6/X8/X9) and stacking ones (X7, e.g. 高龄津贴)."""
    other: list[OtherAllowance] = []
    stacking: list[str] = []
    for row in live:
        facts = row.facts
        if row.record_kind == "elderly_care_allowance" and facts.get("stacks"):
            stacking.append(str(facts.get("name") or "高龄津贴"))
        elif row.record_kind == "elderly_care_allowance" or (
            row.record_kind == "retirement_cadre" and "monthly_amount_fen" in facts
        ):
            other.append(_allowance(row))
    return tuple(other), tuple(stacking)


_ALLOWANCE_DEFAULTS: dict[str, dict[str, Any]] = {
    "elderly_care_allowance": {"kind": "nursing", "scheme": "elderly_care", "name": "老年人护理补贴"},
    "retirement_cadre": {"kind": "nursing", "scheme": "retired_cadre", "name": "离休干部护理费"},
}


def _allowance(row: RegistryFact) -> OtherAllowance:
    defaults = _ALLOWANCE_DEFAULTS[row.record_kind]
    facts = row.facts
    try:
        return OtherAllowance.model_validate(
            {key: facts.get(key) or value for key, value in defaults.items()}
            | {"monthly_amount_fen": facts.get("monthly_amount_fen")}
        )
    except ValidationError as exc:
        raise IncompleteRegistryRecord(
            f"{row.record_kind} record {row.record_id} cannot be read: {_fields(exc)}"
        ) from exc


def _moved_out(live: Iterable[RegistryFact], province: str) -> bool:
    """A hukou move (户籍迁出) in force whose destination is outside the province."""
    return any(
        r.record_kind == "hukou_moved" and not str(r.facts.get("to_region") or province).startswith(province)
        for r in live
    )


def _long_term_care(applicant: Applicant, certificate: Certificate | None, policy: PolicyVersion | None) -> bool:
    if applicant.long_term_care is not None:
        return applicant.long_term_care
    if certificate is None:  # E4 refuses already; an undeclared E3 would be a second, made-up reason
        return True
    extensions = policy.eligibility.nursing_extensions if policy else ()
    return certificate.grade <= 2 or any(
        e.covers(certificate.category, certificate.grade, certificate.components) for e in extensions
    )


def _age(id_number: str, on: date) -> int:
    born = birth_date(id_number)
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return max(0, min(years, 150))


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _fields(exc: ValidationError) -> str:
    """Which fields failed, never their values."""
    return ", ".join(".".join(str(p) for p in err["loc"]) or "value" for err in exc.errors())
