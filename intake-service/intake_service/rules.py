"""Pure intake rules: the material checklist, what a file really is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

# ---- the material checklist (一次性告知) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaterialItem:
    kind: str
    label: str
    basis: str  # "national" or the rule id and region that added it


# The attachment list of the Heilongjiang 跨省通办 procedure (POLICY.md §4).
NATIONAL_MATERIALS: tuple[MaterialItem, ...] = (
    MaterialItem("application_form", "申请表", "national"),
    MaterialItem("id_card", "身份证", "national"),
    MaterialItem("household_register", "户口簿", "national"),
    MaterialItem("disability_certificate", "残疾人证", "national"),
    MaterialItem("photo", "一寸免冠照片", "national"),
    MaterialItem("bank_card", "银行卡（存折）复印件", "national"),
)
PROXY_MATERIALS: tuple[MaterialItem, ...] = (
    MaterialItem("agent_id_card", "委托代办人身份证", "national"),
    MaterialItem("proxy_relation_proof", "委托关系证明", "national"),
    MaterialItem("commitment_letter", "承诺书", "national"),
)


@dataclass(frozen=True, slots=True)
class LocalRule:
    """A province/city/county addition (region is a 2-, 4- or 6-digit prefix of the hukou code)."""

    rule_id: str
    region: str
    kind: str
    label: str
    subsidy: str | None
    proxy_only: bool
    effective_from: date
    effective_to: date | None

    def applies(self, hukou_region: str, subsidies: Iterable[str], proxy: bool, on: date) -> bool:
        return (
            hukou_region.startswith(self.region)
            and self.effective_from <= on
            and (self.effective_to is None or on < self.effective_to)
            and (self.subsidy is None or self.subsidy in subsidies)
            and (proxy or not self.proxy_only)
        )


def checklist(
    hukou_region: str, subsidies: Iterable[str], proxy: bool, on: date, rules: Iterable[LocalRule] = ()
) -> list[MaterialItem]:
    """Every material the hukou locality requires, in one list; a kind appears once."""
    wanted = set(subsidies)
    items = list(NATIONAL_MATERIALS) + (list(PROXY_MATERIALS) if proxy else [])
    for rule in sorted(rules, key=lambda r: (len(r.region), r.effective_from)):
        if rule.applies(hukou_region, wanted, proxy, on):
            items.append(MaterialItem(rule.kind, rule.label, f"{rule.rule_id}@{rule.region}"))
    unique: dict[str, MaterialItem] = {}
    for item in items:
        unique.setdefault(item.kind, item)
    return list(unique.values())


def missing_materials(required: Iterable[str], on_file: Iterable[str]) -> list[str]:
    have = set(on_file)
    return [kind for kind in required if kind not in have]


# ---- electronic materials ----------------------------------------------------------------------

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_content_type(head: bytes) -> str | None:
    """The type a file really is, from its first bytes; None when it is not a PDF, JPEG or PNG."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None
