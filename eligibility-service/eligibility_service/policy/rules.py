"""The recommendation for one person on one day, from the facts and the policy version in force (no I/O).

Rule ids are those of POLICY.md §1–§2 (E1…E7, X1…X13) with a suffix; `E0.deceased` and `standard.<tier>`
are ours. Every recommendation lists the ids that decided it, approvals included.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator
from subsidy_shared.errors import Unprocessable
from subsidy_shared.events import Reason, Subsidy, SubsidyDecision
from subsidy_shared.money import Month, month_of, yuan
from subsidy_shared.policy.model import (
    MULTIPLE,
    Age,
    Category,
    Grade,
    HouseholdStatus,
    PolicyVersion,
    StrictFen,
    Tier,
)
from subsidy_shared.workdays import china_date

SUBSIDY_NAMES: dict[str, str] = {"living": "困难残疾人生活补贴", "nursing": "重度残疾人护理补贴"}
GRADE_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
CATEGORY_NAMES = {1: "视力", 2: "听力", 3: "言语", 4: "肢体", 5: "智力", 6: "精神", 7: "多重"}
STATUS_NAMES = {"dibao": "低保", "near_dibao": "低保边缘", "low_income": "低收入", "severe_unemployed": "重残无业"}
_CERTIFICATE_STATES = {"expired": "已过期", "revoked": "已注销", "frozen": "已冻结"}

AllowanceScheme = Literal["elderly_care", "disabled_elderly_special_care", "retired_cadre", "work_related", "other"]

NOT_INCOME_FOR_DIBAO = Reason(rule_id="X11.not_income_for_dibao", text="残疾人两项补贴不计入城乡最低生活保障家庭收入")


def counts_as_dibao_income() -> bool:
    """X11: neither subsidy is income in the 低保 means test (see NOT_INCOME_FOR_DIBAO)."""
    return False


def start_month(submitted_at: date) -> Month:
    """P1: an approval pays from the month the application was handed in (Beijing time), not the decision."""
    if isinstance(submitted_at, datetime) and submitted_at.tzinfo is not None:
        return month_of(china_date(submitted_at))
    return month_of(submitted_at)


# ---- facts --------------------------------------------------------------------------------------


class FactsModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Certificate(FactsModel):
    """残疾人证 as the registry holds it."""

    generation: Annotated[StrictInt, Field(ge=1, le=3)]
    status: Literal["valid", "expired", "revoked", "frozen"]
    category: Category
    grade: Grade
    components: frozenset[Annotated[StrictInt, Field(ge=1, le=6)]] = frozenset()  # what a 多重 (7) combines
    issued_on: date
    expires_on: date | None = None  # None: the record carries no end date

    @model_validator(mode="after")
    def _components_only_for_multiple(self) -> Certificate:
        if self.components and self.category != MULTIPLE:
            raise ValueError("only a 多重 (category 7) certificate lists the disabilities it combines")
        return self


class OtherAllowance(FactsModel):
    """Another welfare allowance of the same kind (生活 or 护理), for 择高 (X5/X6/X8/X9)."""

    kind: Subsidy
    scheme: AllowanceScheme
    name: str = Field(min_length=1)
    monthly_amount_fen: StrictFen


class Facts(FactsModel):
    """What is known of one person on the day judged (the application date, or a review date)."""

    on: date
    certificate: Certificate | None
    household_statuses: frozenset[HouseholdStatus] = frozenset()
    age: Age
    long_term_care: bool  # E3, declared
    hukou_in_province: bool  # E5
    orphan_basic_living: bool = False
    de_facto_unsupported_child_full_allowance: bool = False
    work_injury_care_allowance: bool = False
    retired_cadre: bool = False
    disabled_veteran: bool = False
    studying_away: bool = False
    other_allowances: tuple[OtherAllowance, ...] = ()
    stacking_allowances: tuple[str, ...] = ()  # 高龄津贴, means-tested 养老服务补贴 (X7)
    deceased: bool = False


class Recommendation(FactsModel):
    """The outcome for one subsidy, with every rule that decided it."""

    subsidy: Subsidy
    outcome: Literal["approved", "refused"]
    reasons: tuple[Reason, ...]
    policy_version: str
    tier: str | None = None
    monthly_amount_fen: StrictFen | None = None
    facts_used: dict[str, Any] = Field(default_factory=dict)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(reason.rule_id for reason in self.reasons)

    def decision(self, start: Month) -> SubsidyDecision:
        """The event form; only an approval carries a start month."""
        approved = self.outcome == "approved"
        return SubsidyDecision(
            subsidy=self.subsidy,
            outcome=self.outcome,
            reasons=self.reasons,
            tier=self.tier,
            monthly_amount_fen=self.monthly_amount_fen,
            start_month=start if approved else None,
        )


class NoMatchingTier(Unprocessable):
    """The person qualifies but the policy's amount table has no row for them: fix the policy data."""


# ---- the decision -------------------------------------------------------------------------------


def evaluate(facts: Facts, policy: PolicyVersion) -> tuple[Recommendation, Recommendation]:
    """Both subsidies, each decided on its own (E7): (living, nursing)."""
    living, nursing = decide(facts, policy, "living"), decide(facts, policy, "nursing")
    if living.outcome == nursing.outcome == "approved":
        both = Reason(rule_id="E7.both", text="符合条件的残疾人可同时享受生活补贴和护理补贴")
        living = living.model_copy(update={"reasons": (*living.reasons, both)})
        nursing = nursing.model_copy(update={"reasons": (*nursing.reasons, both)})
    return living, nursing


def decide(facts: Facts, policy: PolicyVersion, subsidy: Subsidy) -> Recommendation:
    """One subsidy: refused with every rule in the way, or approved with the rules and tier that allow it."""
    used = _facts_used(facts, policy, subsidy)
    if facts.deceased:
        return _refused(subsidy, policy, (Reason(rule_id="E0.deceased", text="申请人已死亡"),), used)
    blocks, basis = _check(facts, policy, subsidy)
    if blocks:
        return _refused(subsidy, policy, blocks, used)
    tier = find_tier(policy, subsidy, facts)
    if tier is None:
        raise NoMatchingTier(f"{policy.version}: no {subsidy} tier matches a qualifying person ({_profile(facts)})")
    choice = _choose_higher(facts, subsidy, tier.monthly_amount_fen)
    if choice is not None and not choice.keeps_subsidy:
        return _refused(subsidy, policy, (choice.reason,), used)
    reasons = (
        *basis,
        _standard(policy, tier),
        *((choice.reason,) if choice else ()),
        *_notes(facts, subsidy),
    )
    return Recommendation(
        subsidy=subsidy,
        outcome="approved",
        reasons=reasons,
        policy_version=policy.version,
        tier=tier.id,
        monthly_amount_fen=tier.monthly_amount_fen,
        facts_used=used,
    )


def find_tier(policy: PolicyVersion, subsidy: Subsidy, facts: Facts) -> Tier | None:
    """The first tier whose predicates all hold; None without a certificate or a match."""
    cert = facts.certificate
    if cert is None:
        return None
    return next(
        (
            tier
            for tier in policy.tiers(subsidy)
            if tier.matches(
                category=cert.category,
                grade=cert.grade,
                components=cert.components,
                statuses=facts.household_statuses,
                age=facts.age,
            )
        ),
        None,
    )


# ---- the rules ----------------------------------------------------------------------------------


def _check(facts: Facts, policy: PolicyVersion, subsidy: Subsidy) -> tuple[tuple[Reason, ...], tuple[Reason, ...]]:
    """(the rules in the way, the rules that qualify): E4, E5, X1–X4, X9, E1/E2/E6, E3."""
    blocks = [*_preconditions(facts), *_exclusions(facts, subsidy)]
    basis = [
        Reason(rule_id="E4.certificate", text="持有效的残疾人证"),
        Reason(rule_id="E5.hukou", text="户籍在本省"),
    ]
    if facts.certificate is not None:
        qualifies, reason = _qualifies(facts, facts.certificate, policy, subsidy)
        (basis if qualifies else blocks).append(reason)
    if subsidy == "nursing":
        (basis if facts.long_term_care else blocks).append(_long_term_care(facts))
    return tuple(blocks), tuple(basis)


def _preconditions(facts: Facts) -> list[Reason]:
    """E4, E5, X1, X2: each blocks both subsidies."""
    found = []
    certificate = _certificate_problem(facts)
    if certificate:
        found.append(certificate)
    if not facts.hukou_in_province:
        found.append(Reason(rule_id="E5.hukou", text="户籍不在本省，补贴由户籍所在地审核发放"))
    if "tekun" in facts.household_statuses:
        found.append(Reason(rule_id="X1.tekun", text="已纳入特困人员救助供养，不享受残疾人两项补贴"))
    if facts.work_injury_care_allowance:
        found.append(Reason(rule_id="X2.work_injury_care", text="已领取工伤保险生活护理费，不享受残疾人两项补贴"))
    return found


def _certificate_problem(facts: Facts) -> Reason | None:
    cert = facts.certificate
    if cert is None:
        return Reason(rule_id="E4.certificate.missing", text="未持有第二代（或第三代）《中华人民共和国残疾人证》")
    if cert.generation < 2:
        return Reason(rule_id="E4.certificate.generation", text="须持第二代（或第三代）残疾人证，第一代证不能申请")
    if cert.status != "valid":
        state = _CERTIFICATE_STATES[cert.status]
        return Reason(rule_id=f"E4.certificate.{cert.status}", text=f"残疾人证{state}，不是有效证件")
    if cert.expires_on is not None and cert.expires_on < facts.on:
        return Reason(rule_id="E4.certificate.expired", text=f"残疾人证已于{cert.expires_on}到期，申请时不在有效期内")
    if cert.issued_on > facts.on:
        return Reason(rule_id="E4.certificate.not_yet_issued", text=f"残疾人证{cert.issued_on}才发证，申请时尚未持证")
    return None


def _exclusions(facts: Facts, subsidy: Subsidy) -> list[Reason]:
    """X3, X4, X9: block `living` only."""
    if subsidy != "living":
        return []
    found = []
    if facts.orphan_basic_living:
        found.append(Reason(rule_id="X3.orphan", text="享受孤儿基本生活保障的残疾儿童不享受生活补贴，可享受护理补贴"))
    if facts.de_facto_unsupported_child_full_allowance:
        text = "全额领取事实无人抚养儿童基本生活补贴的，不享受生活补贴，可享受护理补贴"
        found.append(Reason(rule_id="X4.de_facto_unsupported_child", text=text))
    if facts.retired_cadre:
        found.append(Reason(rule_id="X9.retired_cadre", text="离休干部不享受困难残疾人生活补贴"))
    return found


def _qualifies(facts: Facts, cert: Certificate, policy: PolicyVersion, subsidy: Subsidy) -> tuple[bool, Reason]:
    """E1/E2, extended by the province (E6)."""
    if subsidy == "living":
        if "dibao" in facts.household_statuses:
            return True, Reason(rule_id="E1.living.dibao", text="低保家庭中的残疾人")
        extra = sorted(facts.household_statuses & policy.eligibility.living_statuses)
        if extra:
            names = "、".join(STATUS_NAMES[s] for s in extra)
            return True, Reason(
                rule_id="E6.living.extension", text=f"本省将生活补贴扩大到{names}残疾人（{policy.version}）"
            )
        return False, Reason(rule_id="E1.living.not_dibao", text="不是低保家庭成员，本省也未将生活补贴扩大到其家庭情况")
    described = f"{GRADE_NAMES[cert.grade]}{CATEGORY_NAMES[cert.category]}残疾"
    if cert.grade <= 2:
        return True, Reason(rule_id="E2.nursing.grade", text=f"{described}，属一级、二级重度残疾")
    if any(e.covers(cert.category, cert.grade, cert.components) for e in policy.eligibility.nursing_extensions):
        return True, Reason(rule_id="E6.nursing.extension", text=f"本省将护理补贴扩大到{described}（{policy.version}）")
    text = f"{described}：护理补贴对象为一级、二级重度残疾人，本省未扩大到该类别和等级"
    return False, Reason(rule_id="E2.nursing.not_severe", text=text)


def _long_term_care(facts: Facts) -> Reason:
    if facts.long_term_care:
        return Reason(rule_id="E3.long_term_care", text="需要长期照护（照护支出持续6个月以上）")
    return Reason(rule_id="E3.long_term_care", text="未申报需要长期照护（因残疾产生的照护支出持续6个月以上）")


def _choose_higher_rule(subsidy: Subsidy, scheme: AllowanceScheme) -> str:
    if scheme == "retired_cadre":
        return "X9.retired_cadre"
    if subsidy == "nursing" and scheme == "elderly_care":
        return "X6.elderly_care_allowance"
    if subsidy == "nursing" and scheme == "disabled_elderly_special_care":
        return "X8.disabled_elderly_special_care"
    return "X5.choose_higher"


class Choice(NamedTuple):
    keeps_subsidy: bool
    reason: Reason


def _choose_higher(facts: Facts, subsidy: Subsidy, amount: int) -> Choice | None:
    """择高 against the highest same-kind allowance; a tie keeps the subsidy applied for."""
    same = [a for a in facts.other_allowances if a.kind == subsidy]
    if not same:
        return None
    top = max(same, key=lambda a: a.monthly_amount_fen)
    rule_id = _choose_higher_rule(subsidy, top.scheme)
    ours = f"{SUBSIDY_NAMES[subsidy]}（每月{yuan(amount)}元）"
    theirs = f"{top.name}（每月{yuan(top.monthly_amount_fen)}元）"
    if top.monthly_amount_fen > amount:
        return Choice(False, Reason(rule_id=rule_id, text=f"择高: 已享受更高的{theirs}，不再享受{ours}"))
    stop = "、".join(a.name for a in same)
    return Choice(True, Reason(rule_id=rule_id, text=f"择高: {ours}不低于{theirs}，批准后应停发{stop}"))


def _standard(policy: PolicyVersion, tier: Tier) -> Reason:
    text = f"按{policy.version}标准「{tier.label}」每月{yuan(tier.monthly_amount_fen)}元"
    return Reason(rule_id=f"standard.{tier.id}", text=text)


def _notes(facts: Facts, subsidy: Subsidy) -> list[Reason]:
    """Rules that were checked and do not stand in the way (X3/X4 for nursing, X7, X9, X10, X12, X13)."""
    notes = []
    if subsidy == "nursing" and facts.orphan_basic_living:
        notes.append(Reason(rule_id="X3.orphan", text="享受孤儿基本生活保障不影响护理补贴"))
    if subsidy == "nursing" and facts.de_facto_unsupported_child_full_allowance:
        notes.append(
            Reason(rule_id="X4.de_facto_unsupported_child", text="领取事实无人抚养儿童基本生活补贴不影响护理补贴")
        )
    if subsidy == "nursing" and facts.retired_cadre and not any(a.kind == "nursing" for a in facts.other_allowances):
        notes.append(Reason(rule_id="X9.retired_cadre", text="离休干部可享受护理补贴（与离休护理类津贴择高）"))
    if facts.stacking_allowances:
        names = "、".join(facts.stacking_allowances)
        notes.append(Reason(rule_id="X7.stacks", text=f"{names}与残疾人两项补贴可同时享受"))
    if facts.disabled_veteran:
        text = "残疾军人、伤残人民警察除享受国家特殊待遇外，持残疾人证符合条件的可享受两项补贴"
        notes.append(Reason(rule_id="X10.disabled_veteran", text=text))
    if facts.studying_away:
        notes.append(Reason(rule_id="X12.student_away", text="在户籍地以外就学，仍按原家庭成员认定"))
    if facts.age >= 60:
        notes.append(Reason(rule_id="X13.no_age_stop", text="年满60周岁不停发；老年类津贴按择高规则衔接"))
    return notes


def _refused(
    subsidy: Subsidy, policy: PolicyVersion, reasons: tuple[Reason, ...], used: dict[str, Any]
) -> Recommendation:
    return Recommendation(
        subsidy=subsidy, outcome="refused", reasons=reasons, policy_version=policy.version, facts_used=used
    )


def _profile(facts: Facts) -> str:
    """Tier predicates only, never personal data: for error messages."""
    cert = facts.certificate
    held = f"category {cert.category}, grade {cert.grade}" if cert else "no certificate"
    return f"{held}, statuses {sorted(facts.household_statuses)}, age {facts.age}"


def _facts_used(facts: Facts, policy: PolicyVersion, subsidy: Subsidy) -> dict[str, Any]:
    """The facts this subsidy's rules read, JSON-ready, for the case file."""
    relevant = {
        "on",
        "certificate",
        "household_statuses",
        "age",
        "hukou_in_province",
        "work_injury_care_allowance",
        "orphan_basic_living",
        "de_facto_unsupported_child_full_allowance",
        "retired_cadre",
        "disabled_veteran",
        "studying_away",
        "stacking_allowances",
        "deceased",
    }
    if subsidy == "nursing":
        relevant.add("long_term_care")
    used = facts.model_dump(mode="json", include=relevant)
    used["household_statuses"] = sorted(used["household_statuses"])
    if used["certificate"] is not None:
        used["certificate"]["components"] = sorted(used["certificate"]["components"])
    used["other_allowances"] = [a.model_dump(mode="json") for a in facts.other_allowances if a.kind == subsidy]
    used["province"] = policy.province
    return used
