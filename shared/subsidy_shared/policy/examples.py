"""Shipped example policies from POLICY.md §3, each saying its source, its date and what is assumed."""

from __future__ import annotations

from datetime import date
from typing import Any

from subsidy_shared.policy.model import Eligibility, NursingExtension, PolicyBook, PolicyVersion, Tier

# No source gives these for the example provinces; they are the 宜昌 practice (POLICY.md §5 [S17]) and the
# national payment rules (§7 P4, P5), so every example says they are assumed.
_ASSUMED_PROCESS: dict[str, Any] = {
    "review_limits": {"township": 10, "county_federation": 10, "county_civil_affairs": 10},
    "publicity_days": 5,
    "approval_delegated_to_township": False,
    "stop_rule": "next_month",
    "renewal_anchor": "new_certificate_month",
    "backpay_cap_months": 3,
}
_ASSUMED_TEXT = (
    "Assumed, not from a source: review limits 10/10/10 working days and 公示 5 days (宜昌 practice, §5 [S17]), "
    "approval not delegated to townships, stop the next month (§7 P4), renewal paid from the new certificate's "
    "month with backpay up to 3 months (§7 P5)."
)


def _catch_all(subsidy: str, fen: int) -> tuple[Tier, ...]:
    return (Tier(id=f"{subsidy}.all", label="全省统一标准", monthly_amount_fen=fen),)


def _version(province: str, version: str, effective_from: date, source: str, **rules: Any) -> PolicyVersion:
    return PolicyVersion.model_validate(
        {
            "province": province,
            "version": version,
            "effective_from": effective_from,
            "source": f"{source} {_ASSUMED_TEXT}",
            **_ASSUMED_PROCESS,
            **rules,
        }
    )


HEILONGJIANG_2016 = _version(
    "23",
    "23-2016-01",
    date(2016, 1, 1),
    "POLICY.md §3 黑龙江 (from 2016-01-01), HL 实施办法 [S11]: living 「每人每月不低于80元」, nursing "
    "「每人每月不低于100元」; these are provincial floors, current HL amounts were not found. Base eligibility "
    "only (E1 低保家庭, E2 grades 1–2).",
    living_tiers=_catch_all("living", 8000),
    nursing_tiers=_catch_all("nursing", 10000),
)

# Shanghai extends nursing to grade 3 intellectual/mental (a 多重 certificate combining them counts too).
_SHANGHAI_NURSING_EXTENSION = (NursingExtension(categories=frozenset({5, 6}), grades=frozenset({3})),)

SHANGHAI_2021 = _version(
    "31",
    "31-2021-12",
    date(2021, 12, 1),
    "POLICY.md §3 上海 2021-12, fgw.sh.gov.cn [S19]: living 410 for 重残无业 and 低保家庭, 290 for 低收入; "
    "nursing 一级 300, 二级 and 三级智力/精神 150. Assumed: the first day (2021-12-01).",
    eligibility=Eligibility(
        living_statuses=frozenset({"low_income", "severe_unemployed"}),
        nursing_extensions=_SHANGHAI_NURSING_EXTENSION,
    ),
    living_tiers=(
        Tier(
            id="living.dibao",
            label="重残无业、低保家庭",
            monthly_amount_fen=41000,
            household_statuses=frozenset({"dibao", "severe_unemployed"}),
        ),
        Tier(
            id="living.low_income",
            label="低收入",
            monthly_amount_fen=29000,
            household_statuses=frozenset({"low_income"}),
        ),
    ),
    nursing_tiers=(
        Tier(id="nursing.grade1", label="一级", monthly_amount_fen=30000, grades=frozenset({1})),
        Tier(id="nursing.grade2", label="二级", monthly_amount_fen=15000, grades=frozenset({2})),
        Tier(
            id="nursing.grade3_intellectual_mental",
            label="三级智力、精神",
            monthly_amount_fen=15000,
            grades=frozenset({3}),
            categories=frozenset({5, 6}),
        ),
    ),
)

SHANGHAI_2025 = _version(
    "31",
    "31-2025-07",
    date(2025, 7, 1),
    "POLICY.md §3 上海 from 2025-07-01, compilation citing shanghai.gov.cn [S13] (to be re-verified): living "
    "450, 低保边缘 320; nursing 一级 350, 二级 and 三级智力/精神 180. Assumed: 450 keeps the 2021 group "
    "(重残无业 and 低保家庭), and 低收入 (the 2021 290 group) is paid with 低保边缘 at 320.",
    eligibility=Eligibility(
        living_statuses=frozenset({"near_dibao", "low_income", "severe_unemployed"}),
        nursing_extensions=_SHANGHAI_NURSING_EXTENSION,
    ),
    living_tiers=(
        Tier(
            id="living.dibao",
            label="重残无业、低保家庭",
            monthly_amount_fen=45000,
            household_statuses=frozenset({"dibao", "severe_unemployed"}),
        ),
        Tier(
            id="living.near_dibao",
            label="低保边缘、低收入",
            monthly_amount_fen=32000,
            household_statuses=frozenset({"near_dibao", "low_income"}),
        ),
    ),
    nursing_tiers=(
        Tier(id="nursing.grade1", label="一级", monthly_amount_fen=35000, grades=frozenset({1})),
        Tier(id="nursing.grade2", label="二级", monthly_amount_fen=18000, grades=frozenset({2})),
        Tier(
            id="nursing.grade3_intellectual_mental",
            label="三级智力、精神",
            monthly_amount_fen=18000,
            grades=frozenset({3}),
            categories=frozenset({5, 6}),
        ),
    ),
)


def _guangdong(version: str, effective_from: date, source: str, living: int, nursing: int) -> PolicyVersion:
    base = "Provincial floors (「已高于该标准的地区继续按已定标准执行」, GD 2026 [S13]); base eligibility only."
    return _version(
        "44",
        version,
        effective_from,
        f"{source} {base}",
        living_tiers=_catch_all("living", living),
        nursing_tiers=_catch_all("nursing", nursing),
    )


GUANGDONG_2021 = _guangdong(
    "44-2021-01",
    date(2021, 1, 1),
    "POLICY.md §3 广东/广州 2021, Guangzhou 办法 [S10]: living 181, nursing 243. Assumed: the exact day "
    "(2021-01-01) and that Guangzhou's figures are the provincial ones.",
    18100,
    24300,
)
GUANGDONG_2025 = _guangdong(
    "44-2025-01",
    date(2025, 1, 1),
    "POLICY.md §3 广东 2025, compilation [S13] (to be re-verified): living 209, nursing 280. Assumed: the exact "
    "day (2025-01-01).",
    20900,
    28000,
)
GUANGDONG_2026 = _guangdong(
    "44-2026-01",
    date(2026, 1, 1),
    "POLICY.md §3 广东 2026, compilation [S13] (to be re-verified): living 217, nursing 290. Assumed: the exact "
    "day (2026-01-01).",
    21700,
    29000,
)

EXAMPLES: tuple[PolicyVersion, ...] = (
    HEILONGJIANG_2016,
    SHANGHAI_2021,
    SHANGHAI_2025,
    GUANGDONG_2021,
    GUANGDONG_2025,
    GUANGDONG_2026,
)


def example_book() -> PolicyBook:
    return PolicyBook(EXAMPLES)
