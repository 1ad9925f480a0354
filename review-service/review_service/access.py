"""Who may do what in review: roles per act and the region a list may cover."""

from __future__ import annotations

from subsidy_shared.auth import CASE_READERS, Principal, Role, require_role
from subsidy_shared.errors import Forbidden, Unprocessable
from subsidy_shared.regions import is_valid_region, region_prefix

IMPORTERS = (Role.OPS, Role.PROVINCIAL_ADMIN, Role.COUNTY_DISABILITY_FEDERATION, Role.COUNTY_CIVIL_AFFAIRS)
COUNTY_IMPORTERS = (Role.COUNTY_DISABILITY_FEDERATION, Role.COUNTY_CIVIL_AFFAIRS)
COMPARERS = (Role.OPS, Role.PROVINCIAL_ADMIN, Role.COUNTY_CIVIL_AFFAIRS, Role.COUNTY_DISABILITY_FEDERATION)
CONCLUDERS = (Role.COUNTY_CIVIL_AFFAIRS,)
# Those who check people on the ground: survival checks, campaign items, telling someone of the policy.
FIELD_WORKERS = (Role.TOWNSHIP_REVIEWER, Role.COUNTY_CIVIL_AFFAIRS, Role.COUNTY_DISABILITY_FEDERATION)


def readable_region(principal: Principal, region: str | None) -> str:
    """The prefix a list may cover: the caller's region by default, or a region inside it."""
    require_role(principal, *CASE_READERS)
    return region_within(principal, region)


def region_within(principal: Principal, region: str | None) -> str:
    region = region or principal.region
    if not is_valid_region(region):
        raise Unprocessable.at(("query", "region"), "not a region code")
    if not principal.covers(region):
        raise Forbidden(f"region {region} is outside the caller's region {principal.region}")
    return region_prefix(region)
