"""Region codes (GB/T 2260 + township/village digits), containment and the 跨省通办 scope."""

from __future__ import annotations

import pytest
from subsidy_shared.regions import (
    InvalidRegion,
    Level,
    Scope,
    covers,
    is_valid_region,
    parent_code,
    parse_region,
    region_prefix,
    scope_between,
)


@pytest.mark.parametrize(
    ("code", "level", "name"),
    [
        ("230000", Level.PROVINCE, "黑龙江省"),
        ("230100", Level.CITY, "哈尔滨市"),
        ("230102", Level.COUNTY, "道里区"),
        ("230102001", Level.TOWNSHIP, "道里区"),
        ("230102001001", Level.VILLAGE, "道里区"),
        ("510104001", Level.TOWNSHIP, "锦江区"),
        ("429004", Level.COUNTY, "仙桃市"),
    ],
)
def test_parse_region_gives_the_level_and_the_county_name(code: str, level: Level, name: str) -> None:
    region = parse_region(code)

    assert (region.code, region.level, region.name) == (code, level, name)


def test_an_abolished_county_code_still_parses_for_old_hukou_records() -> None:
    region = parse_region("110103")

    assert (region.level, region.name) == (Level.COUNTY, "崇文区")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("999999", "not a GB/T 2260 region code"),
        ("999999001", "not a GB/T 2260 region code"),
        ("23010", "6 \\(county\\), 9 \\(township\\) or 12 \\(village\\) digits"),
        ("2301020", "6 \\(county\\), 9 \\(township\\) or 12 \\(village\\) digits"),
        ("2301O2", "6 \\(county\\), 9 \\(township\\) or 12 \\(village\\) digits"),
        ("23O102001", "6 \\(county\\), 9 \\(township\\) or 12 \\(village\\) digits"),
        ("", "6 \\(county\\), 9 \\(township\\) or 12 \\(village\\) digits"),
        ("230102000", "township code does not end in 000"),
        ("230102000001", "township code does not end in 000"),
        ("230102001000", "village code does not end in 000"),
    ],
    ids=[
        "unknown-county",
        "township-of-unknown-county",
        "five-digits",
        "seven-digits",
        "letter-o-in-county",
        "letter-o-in-township",
        "empty",
        "township-000",
        "village-under-township-000",
        "village-000",
    ],
)
def test_malformed_or_unknown_codes_raise_invalid_region(code: str, reason: str) -> None:
    with pytest.raises(InvalidRegion, match=reason):
        parse_region(code)


@pytest.mark.parametrize(("code", "valid"), [("230102001", True), ("110103", True), ("999999", False)])
def test_is_valid_region_answers_without_raising(code: str, valid: bool) -> None:
    assert is_valid_region(code) is valid


@pytest.mark.parametrize(
    ("accepting", "hukou", "scope"),
    [
        ("230102001", "230102002", Scope.LOCAL),
        ("230102001", "230102001001", Scope.LOCAL),
        ("230102001", "230103001", Scope.CROSS_COUNTY),
        ("230102", "230103", Scope.CROSS_COUNTY),
        ("230102001", "230202001", Scope.CROSS_CITY),
        ("230102", "230202", Scope.CROSS_CITY),
        ("230102001", "510104001", Scope.CROSS_PROVINCE),
        ("510104001", "230102001", Scope.CROSS_PROVINCE),
    ],
    ids=[
        "same-county-other-township",
        "township-and-its-village",
        "other-county-same-city",
        "county-codes-other-county",
        "other-city-same-province",
        "county-codes-other-city",
        "heilongjiang-window-sichuan-hukou",
        "sichuan-window-heilongjiang-hukou",
    ],
)
def test_scope_compares_accepting_and_hukou_codes(accepting: str, hukou: str, scope: Scope) -> None:
    assert scope_between(accepting, hukou) is scope


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        ("230000", "230102001"),
        ("230000", "230202"),
        ("230100", "230102"),
        ("230100", "230103001"),
        ("230102", "230102001"),
        ("230102", "230102"),
        ("230102001", "230102001001"),
        ("230102001", "230102001"),
    ],
    ids=[
        "province-covers-township",
        "province-covers-county-of-other-city",
        "city-covers-county",
        "city-covers-township",
        "county-covers-township",
        "county-covers-itself",
        "township-covers-village",
        "township-covers-itself",
    ],
)
def test_an_outer_region_covers_what_lies_inside_it(outer: str, inner: str) -> None:
    assert covers(outer, inner)


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        ("230102", "230103001"),
        ("230100", "230202"),
        ("230000", "510104001"),
        ("230102001", "230102002001"),
        ("230102001", "230102"),
        ("230102", "230100"),
    ],
    ids=[
        "county-not-neighbouring-township",
        "city-not-other-city-county",
        "province-not-other-province",
        "township-not-other-township-village",
        "township-not-its-county",
        "county-not-its-city",
    ],
)
def test_an_outer_region_does_not_cover_what_lies_outside_it(outer: str, inner: str) -> None:
    assert not covers(outer, inner)


@pytest.mark.parametrize(
    ("code", "prefix"),
    [("230000", "23"), ("230100", "2301"), ("230102", "230102"), ("230102001", "230102001")],
)
def test_region_prefix_keeps_the_significant_digits(code: str, prefix: str) -> None:
    assert region_prefix(code) == prefix


@pytest.mark.parametrize(
    ("code", "parent"),
    [
        ("230102001001", "230102001"),
        ("230102001", "230102"),
        ("230102", "230100"),
        ("230100", "230000"),
        ("230000", None),
        ("110105", "110100"),
        ("429004", "429000"),
    ],
)
def test_parent_code_goes_up_one_level(code: str, parent: str | None) -> None:
    assert parent_code(code) == parent


def test_the_parent_chain_of_a_village_ends_at_its_province() -> None:
    chain: list[str] = []
    code: str | None = "230102001001"
    while code is not None:
        chain.append(code)
        code = parse_region(code).parent

    assert chain == ["230102001001", "230102001", "230102", "230100", "230000"]


def test_region_properties_name_every_enclosing_level() -> None:
    region = parse_region("230102001001")

    assert (region.province, region.city, region.county, region.township) == (
        "230000",
        "230100",
        "230102",
        "230102001",
    )


def test_a_county_has_no_township() -> None:
    assert parse_region("230102").township is None


def test_full_width_township_digits_are_refused() -> None:
    with pytest.raises(InvalidRegion):
        parse_region("230102００１")
