"""Pure review rules (no I/O): which registry fact raises which finding, the stop month, certificate mismatches.

One function per source. Each sees one registry record and what the person gets, and proposes a finding
(or nothing). A proposal is a suggestion: a county official concludes it (POLICY.md §8 item 8); only
certificate expiry stops payment by itself (P4), and that is payment's business, not a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from subsidy_shared.events import FindingAction, Subsidy
from subsidy_shared.policy import PolicyVersion, StopRule
from subsidy_shared.policy.model import covers_category
from subsidy_shared.policy.timing import stop_month
from subsidy_shared.registry import IN_FORCE_CHANGES

BOTH: tuple[Subsidy, ...] = ("living", "nursing")
LIVING: tuple[Subsidy, ...] = ("living",)
HOUSEHOLD_KINDS = frozenset({"dibao", "near_dibao", "low_income", "severe_unemployed", "tekun"})
MISSING_MONTHS = 6  # 失踪满6个月 (70号 item 8)


@dataclass(frozen=True, slots=True)
class Record:
    """What a rule reads of one registry record."""

    source: str
    record_id: str
    kind: str
    change: str
    effective_date: date | None
    facts: Mapping[str, Any]
    observed_on: date

    @property
    def in_force(self) -> bool:
        return self.change in IN_FORCE_CHANGES

    @property
    def day(self) -> date:
        """The day the fact took effect (death, move, start of a status); else the day it was observed."""
        return self.effective_date or self.observed_on


@dataclass(frozen=True, slots=True)
class Receiving:
    """A beneficiary as a rule sees them: the hukou, what each subsidy pays, the household statuses in force."""

    hukou_region: str
    amounts: Mapping[str, int]
    statuses: frozenset[str] = frozenset()
    suspended: frozenset[str] = frozenset()  # subsidies payment holds (a concluded suspension)

    def gets(self, subsidies: tuple[Subsidy, ...]) -> tuple[Subsidy, ...]:
        return tuple(s for s in subsidies if s in self.amounts)


@dataclass(frozen=True, slots=True)
class Context:
    today: date
    living_extensions: frozenset[str] = frozenset()  # the province's extra living statuses (E1/E6)


@dataclass(frozen=True, slots=True)
class Proposal:
    rule_id: str
    subsidies: tuple[Subsidy, ...]
    action: FindingAction
    day: date
    text: str
    evidence: dict[str, Any] = field(default_factory=dict)


Rule = Callable[[Record, Receiving, Context], "Proposal | None"]


def _propose(
    person: Receiving, subsidies: tuple[Subsidy, ...], rule_id: str, action: FindingAction, day: date, text: str
) -> Proposal | None:
    affected = person.gets(subsidies)
    return Proposal(rule_id, affected, action, day, text) if affected else None


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (a 6 Jan start is 6 months old on 6 Jul)."""
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


# ---- one rule per source --------------------------------------------------------------------------------


def death(record: Record, person: Receiving, ctx: Context) -> Proposal | None:
    """死亡 (卫健/公安), 火化 (殡葬) and 宣告死亡 all end both subsidies."""
    if not record.in_force:
        return None
    words = {"death": "死亡", "cremation": "火化", "declared_death": "宣告死亡"}
    text = f"{words[record.kind]}记录（{record.day}）"
    return _propose(person, BOTH, f"{record.kind}.recorded", "terminate", record.day, text)


def missing(record: Record, person: Receiving, ctx: Context) -> Proposal | None:
    """失踪: suspended while it lasts; after 6 months the subsidies end (70号 item 8)."""
    if not record.in_force:
        return None
    if months_between(record.day, ctx.today) >= MISSING_MONTHS:
        text = f"失踪满{MISSING_MONTHS}个月（自{record.day}）"
        return _propose(person, BOTH, "missing.six_months", "terminate", record.day, text)
    return _propose(person, BOTH, "missing.reported", "suspend", record.day, f"失踪（自{record.day}）")


def hukou_moved(record: Record, person: Receiving, ctx: Context) -> Proposal | None:
    """户籍迁出所在区（县）: the new county decides on a new application; a move inside the county changes nothing."""
    if not record.in_force:
        return None
    to_region = str(record.facts.get("to_region") or "")
    if to_region and to_region[:6] == person.hukou_region[:6]:
        return None
    text = f"户籍迁出本县（{record.day}）" + (f"，迁往 {to_region}" if to_region else "")
    return _propose(person, BOTH, "hukou_moved.out_of_county", "terminate", record.day, text)


def imprisonment(record: Record, person: Receiving, ctx: Context) -> Proposal | None:
    """监狱服刑: suspended while serving the sentence; on release, what was suspended may continue."""
    if record.in_force:
        return _propose(person, BOTH, "imprisonment.serving", "suspend", record.day, f"服刑（自{record.day}）")
    if record.change == "ended":
        held = tuple(s for s in BOTH if s in person.suspended)
        return _propose(person, held, "imprisonment.released", "continue", record.day, f"刑满释放（{record.day}）")
    return None


def excluded_scheme(record: Record, person: Receiving, ctx: Context) -> Proposal | None:
    """X1 特困供养, X2 工伤保险生活护理费 → neither; X3 孤儿, X4 事实无人抚养 (full allowance) → no living."""
    if not record.in_force:
        return None
    if record.kind == "de_facto_unsupported_child" and not record.facts.get("full_allowance", True):
        return None
    words = {
        "tekun": ("X1", "纳入特困人员救助供养", BOTH),
        "work_injury_care_allowance": ("X2", "领取工伤保险生活护理费", BOTH),
        "orphan": ("X3", "享受孤儿基本生活保障", LIVING),
        "de_facto_unsupported_child": ("X4", "全额领取事实无人抚养儿童基本生活补贴", LIVING),
    }
    rule, text, subsidies = words[record.kind]
    return _propose(person, subsidies, f"{rule}.{record.kind}", "terminate", record.day, f"{text}（{record.day}）")


def dibao_ended(record: Record, person: Receiving, ctx: Context) -> Proposal | None:
    """退出低保: living ends unless the household keeps a status the province extends living to (E1/E6)."""
    if record.in_force or "dibao" in person.statuses:  # another 低保 record still in force
        return None
    if ctx.living_extensions & person.statuses:
        return None
    return _propose(person, LIVING, "E1.dibao_ended", "terminate", record.day, f"退出低保（{record.day}）")


def certificate(record: Record, person: Receiving, ctx: Context) -> Proposal | None:
    """残疾人证注销 ends both, 冻结 suspends; expiry stops payment by itself (P4) and is no finding."""
    if record.change == "revoked":
        return _propose(person, BOTH, "certificate.revoked", "terminate", record.day, f"残疾人证注销（{record.day}）")
    if record.change == "frozen":
        return _propose(person, BOTH, "certificate.frozen", "suspend", record.day, f"残疾人证冻结（{record.day}）")
    return None


_ALLOWANCES: dict[str, tuple[str, Subsidy]] = {
    "pension": ("养老保险待遇", "living"),
    "military_disability_care": ("伤残抚恤", "nursing"),
    "retirement_cadre": ("离休待遇", "nursing"),
}


def higher_of(record: Record, person: Receiving, ctx: Context) -> Proposal | None:
    """X5/X9 择高: another scheme's allowance of the same kind; a higher one suggests a rate change."""
    if not record.in_force:
        return None
    name, default_kind = _ALLOWANCES[record.kind]
    kind: Subsidy = record.facts.get("kind") or default_kind
    if kind not in person.amounts:
        return None
    other = record.facts.get("monthly_amount_fen")
    ours = person.amounts[kind]
    action: FindingAction = "rate_change" if isinstance(other, int) and other > ours else "continue"
    text = f"同时领取{name}" + (f"（每月{other}分，本补贴{ours}分），择高" if isinstance(other, int) else "，择高待定")
    proposal = _propose(person, (kind,), f"X5.{record.kind}", action, record.day, text)
    if proposal is not None:
        proposal.evidence.update({"other_monthly_amount_fen": other, "our_monthly_amount_fen": ours})
    return proposal


def survival_failed(method: str, checked_on: date, person: Receiving) -> Proposal | None:
    """生存验证 not passed (70号 item 12): payment is held until someone finds out why."""
    words = {"face_recognition": "人脸识别", "home_visit": "入户核查", "video": "视频验证"}
    text = f"{words.get(method, method)}未通过（{checked_on}）"
    proposal = _propose(person, BOTH, "survival.failed", "suspend", checked_on, text)
    if proposal is not None:
        proposal.evidence.update({"method": method, "checked_on": checked_on.isoformat()})
    return proposal


RULES: dict[str, Rule] = {
    "death": death,
    "cremation": death,
    "declared_death": death,
    "missing": missing,
    "hukou_moved": hukou_moved,
    "imprisonment": imprisonment,
    "tekun": excluded_scheme,
    "work_injury_care_allowance": excluded_scheme,
    "orphan": excluded_scheme,
    "de_facto_unsupported_child": excluded_scheme,
    "dibao": dibao_ended,
    "certificate": certificate,
    "pension": higher_of,
    "military_disability_care": higher_of,
    "retirement_cadre": higher_of,
}
# The changes that can raise anything, so the comparison reads only those rows.
TRIGGERS: dict[str, frozenset[str]] = {
    kind: IN_FORCE_CHANGES for kind in RULES if kind not in ("certificate", "dibao", "imprisonment")
} | {
    "certificate": frozenset({"revoked", "frozen"}),
    "dibao": frozenset({"ended", "revoked"}),
    "imprisonment": IN_FORCE_CHANGES | {"ended"},
}


def propose(record: Record, person: Receiving, ctx: Context) -> Proposal | None:
    rule = RULES.get(record.kind)
    proposal = rule(record, person, ctx) if rule else None
    if proposal is not None:
        proposal.evidence.update(evidence_of(record))
    return proposal


# The facts of a record a finding shows (GET /v1/findings, finding.raised), per record kind: the dates, amounts,
# destination and status flags an official needs to judge it. Every other fact a registry sends (names, a
# relative's ID number, phone numbers, addresses, the disability category and grade …) stays in the registry
# record: findings are listed region-wide and published to other services. A record kind not named shows none.
_ALLOWANCE_FACTS = frozenset({"monthly_amount_fen", "kind"})
EVIDENCE_FACTS: dict[str, frozenset[str]] = {
    "certificate": frozenset({"issued_on", "expires_on"}),
    "hukou_moved": frozenset({"to_region"}),
    "de_facto_unsupported_child": frozenset({"full_allowance"}),
    "pension": _ALLOWANCE_FACTS,
    "military_disability_care": _ALLOWANCE_FACTS,
    "retirement_cadre": _ALLOWANCE_FACTS,
    "elderly_care_allowance": _ALLOWANCE_FACTS,
}


def evidence_of(record: Record) -> dict[str, Any]:
    return {
        "source": record.source,
        "record_id": record.record_id,
        "record_kind": record.kind,
        "change": record.change,
        "effective_date": record.effective_date.isoformat() if record.effective_date else None,
        "observed_on": record.observed_on.isoformat(),
        "facts": shown_facts(record.kind, record.facts),
    }


def shown_facts(kind: str, facts: Mapping[str, Any]) -> dict[str, Any]:
    """The facts of EVIDENCE_FACTS, and only plain values (a nested object could hide anything)."""
    wanted = EVIDENCE_FACTS.get(kind, frozenset())
    return {k: v for k, v in facts.items() if k in wanted and isinstance(v, bool | int | str)}


def shown_evidence(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Stored evidence as shown: findings raised before the whitelist kept every fact."""
    facts = evidence.get("facts")
    if not isinstance(facts, Mapping):
        return dict(evidence)
    return {**evidence, "facts": shown_facts(str(evidence.get("record_kind")), facts)}


# ---- timing ---------------------------------------------------------------------------------------------


def month_text(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def effective_month(stop_rule: StopRule, day: date, found_on: date) -> str:
    """The first month not paid, by the province's stop rule (P10; the same function payment applies)."""
    return month_text(stop_month(day, found_on, stop_rule))


# ---- the quarterly 民政–残联 comparison --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CertificateView:
    """The person's newest certificate record as the registry holds it."""

    change: str
    category: int | None
    grade: int | None
    expires_on: date | None
    components: frozenset[int] = frozenset()


def certificate_mismatches(
    certificate_number: str,
    subsidies: tuple[str, ...],
    card: CertificateView | None,
    today: date,
    policy: PolicyVersion | None,
) -> list[str]:
    """What the certificate data contradicts in an application or a beneficiary (70号 item 6)."""
    if card is None:
        return ["certificate_missing"]
    if card.change not in IN_FORCE_CHANGES:
        return [f"certificate_{card.change}"]
    found: list[str] = []
    if card.expires_on is not None and card.expires_on < today:
        found.append("certificate_expired")
    stated = certificate_number[18:20]
    if card.category is not None and card.grade is not None and stated != f"{card.category}{card.grade}":
        found.append("category_grade_differs")
    if "nursing" in subsidies and card.grade is not None and not _nursing_grade(card, policy):
        found.append("nursing_grade_not_covered")
    return found


def _nursing_grade(card: CertificateView, policy: PolicyVersion | None) -> bool:
    if card.grade is not None and card.grade <= 2:
        return True
    extensions = policy.eligibility.nursing_extensions if policy else ()
    return any(
        card.grade in e.grades and covers_category(e.categories, card.category or 0, card.components)
        for e in extensions
    )
