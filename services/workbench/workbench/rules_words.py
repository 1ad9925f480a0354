"""The rule ids the services name (POLICY.md §1, §2, §7), steps, scopes and clocks, in the reviewers' words.

Only wording: what a rule says, so a reviewer sees what a recommendation rests on. Which rule applies is
decided by the eligibility service; its own reason text for the case is shown beside these words.
"""

from __future__ import annotations

from typing import Any

from subsidy_shared.money import yuan
from subsidy_shared.regions import InvalidRegion, parse_region

# POLICY.md §1 (E1–E7) and §2 (X1–X13): the national rules with their sources, shortened.
RULE_WORDS: dict[str, str] = {
    "E0": "申请人已死亡的，不予认定（死亡、火化等信息比对）",
    "E1": "生活补贴对象为低保家庭中的残疾人；有条件的地方可扩大到低收入残疾人及其他困难残疾人（国发〔2015〕52号）",
    "E2": (
        "护理补贴对象为残疾等级被评定为一级、二级且需要长期照护的重度残疾人；"
        "有条件的地方可扩大到非重度智力、精神残疾人或其他残疾人（国发〔2015〕52号）"
    ),
    "E3": "长期照护是指因残疾产生的特殊护理消费品和照护服务支出持续6个月以上（国发〔2015〕52号）",
    "E4": "申请须持有有效的第二代（或第三代）《中华人民共和国残疾人证》（国发〔2015〕52号）",
    "E5": "由户籍所在地（业务属地）审核发放；业务属地按户籍地区划代码确定，不看身份证号前六位",
    "E6": (
        "本省将补贴范围扩大（如生活补贴扩大到低保边缘家庭，护理补贴扩大到非重度智力、精神残疾人）（民发〔2021〕70号）"
    ),
    "E7": "符合条件的残疾人，可同时申领困难残疾人生活补贴和重度残疾人护理补贴（国发〔2015〕52号）",
    "X1": "纳入特困人员救助供养的残疾人，不享受残疾人两项补贴",
    "X2": "领取工伤保险生活护理费的残疾人，不享受残疾人两项补贴",
    "X3": "享受孤儿基本生活保障政策的残疾儿童不享受生活补贴，可享受护理补贴",
    "X4": "全额领取事实无人抚养儿童基本生活补贴的，不享受生活补贴，可享受护理补贴",
    "X5": "同时符合老年、因公致残、离休等福利性生活补贴（津贴）、护理补贴（津贴）的，可择高申领其中一类",
    "X6": "老年人护理补贴与重度残疾人护理补贴择高享受，不同时享受",
    "X7": "高龄津贴、以经济状况为标准的养老服务补贴，可与残疾人两项补贴叠加享受",
    "X8": "养老服务补贴中对失能老人的特别照顾部分，与护理补贴择高享受",
    "X9": "离休老干部不享受生活补贴；护理补贴与离休护理类津贴择高享受",
    "X10": "残疾军人、伤残人民警察除享受国家给予的特殊待遇外，符合条件的可享受残疾人两项补贴",
    "X11": "残疾人两项补贴不计入城乡最低生活保障家庭收入",
    "X12": "在户籍地以外就学的学生仍按原家庭成员认定，可通过跨省通办申请",
    "X13": "年满60周岁不停发两项补贴；老年类津贴按择高规则衔接",
    # POLICY.md §7: payment timing (named by payments and decisions).
    "P1": "经资格审定合格后，自残疾人递交申请当月计发补贴",
    "P2": "补贴按月及时、准确、足额发放",
    "P3": "采取社会化形式发放，通过金融机构转账存入残疾人账户；特殊情况发放现金须有专门监管办法",
    "P4": "残疾人证有效期满后，应于次月停发补贴",
    "P5": "换发新证的，于新证发证当月计发，可按新证类别和等级的标准补发最多不超过3个月",
    "P6": "因残疾类别或等级变更换发、核发残疾人证期间，按照原标准发放补贴",
    "P7": "因疫情、自然灾害等不可抗力，可设立过渡期，过渡期内按原标准发放补贴",
    "P8": "自愿放弃后再申请的，从申请当月计发，不予补发",
    "P9": "以虚报、隐瞒、伪造等手段骗取补贴的，停止发放并追回补贴资金",
    "P10": "死亡、户籍迁出等情形的停发时间按本地规定（次月或比对当月）",
    "P11": "县级民政部门会同县级残联向同级财政部门申请拨付补贴资金",
    # The services' own ids.
    "standard": "按户籍地省级政策的补贴标准档次确定每月金额",
    "review.overrule": "审定人员作出与预审建议不同的决定，并说明了理由",
    "review": "审核环节不予通过，理由书面告知申请人",
}

STEP_NAMES: dict[str, str] = {
    "township_review": "乡镇（街道）审核",
    "county_verification": "县级残联核实",
    "county_approval": "县级民政审定",
    "publicity": "公示",
    "decided": "已决定",
    "withdrawn": "已撤回",
}
SCOPE_NAMES: dict[str, str] = {
    "local": "本地",
    "cross_county": "跨县通办",
    "cross_city": "跨市通办",
    "cross_province": "跨省通办",
}
CLOCK_NAMES: dict[str, str] = {"push": "推送时限", "decision": "认定时限", "notify": "告知时限"}
CLOCK_STATE_NAMES: dict[str, str] = {
    "on_time": "按时",
    "at_risk": "临期",
    "breached": "超期",
    "not_started": "未开始",
    "stopped": "已停止",
    "external": "外省系统办理",
}
REVIEW_OUTCOME_NAMES: dict[str, str] = {
    "pass": "通过",
    "reject": "不通过",
    "close": "公示期满无异议",
    "objection": "公示异议",
}
SUBSIDY_SHORT: dict[str, str] = {"living": "生活补贴", "nursing": "护理补贴"}
OUTCOME_NAMES: dict[str, str] = {"approved": "批准", "refused": "不予批准"}
RECOMMENDATION_NAMES: dict[str, str] = {"approved": "建议批准", "refused": "建议不予批准"}


def rule_words(rule_id: str) -> str:
    """The words of a rule id: the most specific entry first (E4.certificate.missing → E4)."""
    parts = rule_id.split(".")
    for size in range(len(parts), 0, -1):
        found = RULE_WORDS.get(".".join(parts[:size]))
        if found:
            return found
    return ""


def rule_code(rule_id: str) -> str:
    """The short code shown in a tag: E4, X9, standard, review."""
    return rule_id.split(".", 1)[0]


# ---- the registry facts a recommendation read (eligibility's `facts_used`) ------------------------

CATEGORY_NAMES = {1: "视力", 2: "听力", 3: "言语", 4: "肢体", 5: "智力", 6: "精神", 7: "多重"}
GRADE_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
CERTIFICATE_STATES = {"valid": "有效", "expired": "已过期", "revoked": "已注销", "frozen": "已冻结"}
HOUSEHOLD_NAMES = {
    "dibao": "低保",
    "near_dibao": "低保边缘",
    "low_income": "低收入",
    "severe_unemployed": "重残无业",
    "tekun": "特困",
}
FLAG_FACTS = (
    ("hukou_in_province", "户籍在本省"),
    ("long_term_care", "需要长期照护（申报）"),
    ("work_injury_care_allowance", "领取工伤保险生活护理费"),
    ("orphan_basic_living", "享受孤儿基本生活保障"),
    ("de_facto_unsupported_child_full_allowance", "全额领取事实无人抚养儿童基本生活补贴"),
    ("retired_cadre", "离休干部"),
    ("disabled_veteran", "残疾军人、伤残人民警察"),
    ("studying_away", "在户籍地以外就学"),
    ("deceased", "已死亡"),
)


def _certificate(cert: dict[str, Any] | None) -> str:
    if not cert:
        return "登记库中没有残疾人证记录"
    generation = {1: "第一代", 2: "第二代", 3: "第三代"}.get(int(cert.get("generation") or 0), "")
    kind = f"{CATEGORY_NAMES.get(int(cert.get('category') or 0), '')}{GRADE_NAMES.get(int(cert.get('grade') or 0), '')}"
    components = "、".join(CATEGORY_NAMES.get(c, str(c)) for c in cert.get("components") or [])
    state = CERTIFICATE_STATES.get(cert.get("status", ""), str(cert.get("status", "")))
    until = f"，{cert['expires_on']} 到期" if cert.get("expires_on") else "，无到期日"
    combined = f"（{components}）" if components else ""
    return f"{generation}残疾人证 · {kind}{combined} · {state} · {cert.get('issued_on', '')} 发证{until}"


def facts_rows(facts: dict[str, Any]) -> list[tuple[str, str]]:
    """(what, value) rows for the facts table; keys the workbench does not know are shown as they are."""
    rows: list[tuple[str, str]] = []
    shown = {"on", "certificate", "household_statuses", "age", "province", "other_allowances", "stacking_allowances"}
    if "on" in facts:
        rows.append(("认定依据日（申请日）", str(facts["on"])))
    if "certificate" in facts:
        rows.append(("残疾人证", _certificate(facts["certificate"])))
    if "household_statuses" in facts:
        statuses = "、".join(HOUSEHOLD_NAMES.get(s, s) for s in facts["household_statuses"] or [])
        rows.append(("家庭情况（低保等）", statuses or "登记库中没有低保、低保边缘等记录"))
    if "age" in facts:
        rows.append(("年龄（认定依据日）", f"{facts['age']} 岁"))
    for key, label in FLAG_FACTS:
        if key in facts:
            shown.add(key)
            rows.append((label, "是" if facts[key] else "否"))
    allowances = facts.get("other_allowances") or []
    if allowances:
        text = "；".join(
            f"{a.get('name', '')}（每月 {yuan(int(a.get('monthly_amount_fen', 0)))} 元）" for a in allowances
        )
        rows.append(("同类福利津贴（择高）", text))
    if facts.get("stacking_allowances"):
        rows.append(("可叠加享受的津贴", "、".join(facts["stacking_allowances"])))
    if "province" in facts:
        rows.append(("适用政策的省份", str(facts["province"])))
    for key, value in facts.items():
        if key not in shown:
            rows.append((key, str(value)))
    return rows


def merged_facts(recommendations: list[dict[str, Any]]) -> dict[str, Any]:
    """One facts table for the case: each subsidy's facts together (the same registry records)."""
    merged: dict[str, Any] = {}
    allowances: list[dict[str, Any]] = []
    for recommendation in recommendations:
        used = dict(recommendation.get("facts_used") or {})
        allowances.extend(used.pop("other_allowances", None) or [])
        merged.update(used)
    if recommendations:
        merged["other_allowances"] = allowances
    return merged


def region_label(code: str | None) -> str:
    """A region code with its GB/T 2260 name: 南岗区（230103002）; an unknown code as it is."""
    if not code:
        return ""
    try:
        return f"{parse_region(code).name}（{code}）"
    except InvalidRegion:
        return code


def region_name(code: str | None) -> str:
    """The GB/T 2260 name alone (for CSV, where the code has its own column)."""
    try:
        return parse_region(code).name if code else ""
    except InvalidRegion:
        return ""
