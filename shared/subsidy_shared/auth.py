"""Bearer JWT auth: roles, region scopes, and the dependency every route uses."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from subsidy_shared.errors import Forbidden, Unauthorized
from subsidy_shared.regions import covers, is_valid_region, region_prefix


class Role(enum.StrEnum):
    WINDOW_CLERK = "window_clerk"
    TOWNSHIP_REVIEWER = "township_reviewer"
    COUNTY_DISABILITY_FEDERATION = "county_disability_federation"
    COUNTY_CIVIL_AFFAIRS = "county_civil_affairs"
    PROVINCIAL_ADMIN = "provincial_admin"
    AUDITOR = "auditor"
    OPS = "ops"
    PROVINCE_SYSTEM = "province_system"


# Officials who may read case files of their region; another province's system reads only through the exchange.
CASE_READERS: tuple[Role, ...] = tuple(r for r in Role if r is not Role.PROVINCE_SYSTEM)


class Principal(BaseModel):
    """Who is calling: subject, role and the region their authority covers (prefix match)."""

    model_config = ConfigDict(frozen=True)

    sub: str
    role: Role
    region: str

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if not is_valid_region(value):
            raise ValueError("region claim is not a valid region code")
        return value

    def covers(self, region: str) -> bool:
        return covers(self.region, region)

    @property
    def region_prefix(self) -> str:
        return region_prefix(self.region)


def issue_token(principal: Principal, key: str, algorithm: str = "HS256", ttl: timedelta = timedelta(hours=12)) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": principal.sub,
        "role": principal.role.value,
        "region": principal.region,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, key, algorithm=algorithm)


def decode_token(token: str, key: str, algorithm: str = "HS256") -> Principal:
    try:
        claims = jwt.decode(token, key, algorithms=[algorithm], options={"require": ["sub", "exp"]})
        return Principal.model_validate(claims)
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc}") from exc
    except ValidationError as exc:
        raise Unauthorized("token claims are not valid: sub, role and region are required") from exc


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthorized("a bearer token is required")
    settings = request.app.state.settings
    principal = decode_token(credentials.credentials, settings.jwt_signing_key, settings.jwt_algorithm)
    request.state.principal = principal  # so that a denial can be audited with who asked
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise Forbidden(f"role {principal.role.value} may not do this; allowed: {allowed}")


def require_region(principal: Principal, *regions: str) -> None:
    """Allowed when any of `regions` (accepting or hukou) lies inside the caller's region."""
    if not any(principal.covers(r) for r in regions):
        raise Forbidden(f"outside the caller's region {principal.region}")
