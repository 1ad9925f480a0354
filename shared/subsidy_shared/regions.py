"""Region codes (GB/T 2260 counties, 9-digit townships, 12-digit villages) and the 跨省通办 scope."""

from __future__ import annotations

import csv
import enum
from dataclasses import dataclass
from functools import cache
from importlib import resources


class Level(enum.StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


class Scope(enum.StrEnum):
    """How far the accepting window is from the household-registration place."""

    LOCAL = "local"
    CROSS_COUNTY = "cross_county"
    CROSS_CITY = "cross_city"
    CROSS_PROVINCE = "cross_province"


class InvalidRegion(ValueError):
    """A region code that is malformed or unknown to the GB/T 2260 table."""


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    level: Level
    name: str

    @property
    def province(self) -> str:
        return self.code[:2] + "0000"

    @property
    def city(self) -> str:
        return self.code[:4] + "00"

    @property
    def county(self) -> str:
        return self.code[:6]

    @property
    def township(self) -> str | None:
        return self.code[:9] if len(self.code) >= 9 else None

    @property
    def parent(self) -> str | None:
        return parent_code(self.code)


@cache
def _table() -> dict[str, str]:
    """code → name for every county, city and province code, current and abolished."""
    text = resources.files("subsidy_shared").joinpath("data/regions_gb2260.csv").read_text("utf-8")
    return {row["code"]: row["name"] for row in csv.DictReader(text.splitlines())}


@cache
def _tree() -> dict[str | None, tuple[Region, ...]]:
    """Parent code (None above the provinces) → its current (not abolished) regions, in code order."""
    text = resources.files("subsidy_shared").joinpath("data/regions_gb2260.csv").read_text("utf-8")
    tree: dict[str | None, list[Region]] = {}
    for row in csv.DictReader(text.splitlines()):
        if row["abolished"] == "0":
            region = Region(code=row["code"], level=Level(row["level"]), name=row["name"])
            tree.setdefault(row["parent"] or None, []).append(region)
    return {parent: tuple(regions) for parent, regions in tree.items()}


def children(code: str | None = None) -> tuple[Region, ...]:
    """The current GB/T 2260 regions directly under a 6-digit `code` (None: the provinces), in code order.

    Empty below a county, and for a city without counties (441900 东莞市): its townships hang under it directly.
    """
    return _tree().get(code, ())


def _level_of(code: str) -> Level:
    if len(code) == 12:
        return Level.VILLAGE
    if len(code) == 9:
        return Level.TOWNSHIP
    if code.endswith("0000"):
        return Level.PROVINCE
    if code.endswith("00"):
        return Level.CITY
    return Level.COUNTY


def parse_region(code: str) -> Region:
    """Validate a 6-, 9- or 12-digit code; the 6-digit part must be in the GB/T 2260 table."""
    if not (code.isascii() and code.isdigit()) or len(code) not in (6, 9, 12):
        raise InvalidRegion("a region code has 6 (county), 9 (township) or 12 (village) digits")
    table = _table()
    county = code[:6]
    if county not in table:
        raise InvalidRegion(f"{county} is not a GB/T 2260 region code")
    if len(code) >= 9 and code[6:9] == "000":
        raise InvalidRegion("a township code does not end in 000")
    if len(code) == 12 and code[9:] == "000":
        raise InvalidRegion("a village code does not end in 000")
    return Region(code=code, level=_level_of(code), name=table[county])


def is_valid_region(code: str) -> bool:
    try:
        parse_region(code)
    except InvalidRegion:
        return False
    return True


def parent_code(code: str) -> str | None:
    level = _level_of(code)
    if level is Level.VILLAGE:
        return code[:9]
    if level is Level.TOWNSHIP:
        return code[:6]
    if level is Level.COUNTY:
        return code[:4] + "00"
    if level is Level.CITY:
        return code[:2] + "0000"
    return None


def region_prefix(code: str) -> str:
    """The significant prefix of a code: 230000 → 23, 230100 → 2301, 230102 → 230102."""
    level = _level_of(code)
    if level is Level.PROVINCE:
        return code[:2]
    if level is Level.CITY:
        return code[:4]
    return code


def covers(outer: str, inner: str) -> bool:
    """Whether region `inner` lies inside region `outer` (a province covers its counties, …)."""
    return inner.startswith(region_prefix(outer))


def scope_between(accepting: str, hukou: str) -> Scope:
    """Scope compares the accepting window's code with the household-registration code."""
    if accepting[:2] != hukou[:2]:
        return Scope.CROSS_PROVINCE
    if accepting[:4] != hukou[:4]:
        return Scope.CROSS_CITY
    if accepting[:6] != hukou[:6]:
        return Scope.CROSS_COUNTY
    return Scope.LOCAL
