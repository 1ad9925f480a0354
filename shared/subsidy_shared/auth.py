"""Bearer JWT auth: roles, region scopes, and the dependency every route uses.

Locally a token is HS256 with the dev key (`subsidyctl token`); in production the identity provider signs it
(RS256 / ES256) and publishes its keys as a JWKS. Either way it names its issuer, audience, issue and expiry
times, and lives at most `jwt_max_ttl_seconds`.
"""

from __future__ import annotations

import asyncio
import enum
import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from subsidy_shared.errors import DomainError, Forbidden, OutsideRegion, Unauthorized
from subsidy_shared.regions import covers, is_valid_region, region_prefix
from subsidy_shared.settings import (
    DEV_JWT_ISSUER,
    JWT_AUDIENCE,
    JWT_LEEWAY_SECONDS,
    JWT_MAX_TTL_SECONDS,
    ServiceSettings,
)

REQUIRED_CLAIMS = ("sub", "exp", "iat", "iss", "aud")
# Asymmetric only: an HS* token "verified" with a published public key would let anyone sign.
JWKS_ALGORITHMS = ("RS256", "ES256")
# An unknown kid refetches the JWKS at most this often, so made-up key ids cannot hammer the identity provider.
JWKS_REFETCH_COOLDOWN_SECONDS = 30.0
JWKS_TIMEOUT_SECONDS = 5.0


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


class IdentityProviderUnavailable(DomainError):
    """The identity provider's keys could not be loaded: our outage, not a bad token, so a 503 and not a 401."""

    status, title = 503, "Service unavailable"


@dataclass(frozen=True)
class TokenRules:
    """What a token must say besides its signature: who issued it, for whom, and how long it may live."""

    issuer: str = DEV_JWT_ISSUER
    audience: str = JWT_AUDIENCE
    max_ttl_seconds: int = JWT_MAX_TTL_SECONDS
    leeway_seconds: int = JWT_LEEWAY_SECONDS

    @classmethod
    def of(cls, settings: ServiceSettings) -> TokenRules:
        """The rules the `SUBSIDY_JWT_*` settings set."""
        return cls(
            settings.jwt_issuer, settings.jwt_audience, settings.jwt_max_ttl_seconds, settings.jwt_leeway_seconds
        )


DEFAULT_TOKEN_RULES = TokenRules()


def issue_token(
    principal: Principal,
    key: str,
    algorithm: str = "HS256",
    ttl: timedelta = timedelta(seconds=JWT_MAX_TTL_SECONDS),
    *,
    issuer: str = DEV_JWT_ISSUER,
    audience: str = JWT_AUDIENCE,
) -> str:
    """A signed token for `principal` (development and tests; production tokens come from the identity provider)."""
    now = datetime.now(UTC)
    claims = {
        "sub": principal.sub,
        "role": principal.role.value,
        "region": principal.region,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, key, algorithm=algorithm)


def decode_token(token: str, key: str, algorithm: str = "HS256", rules: TokenRules = DEFAULT_TOKEN_RULES) -> Principal:
    """The principal of a token signed with one known key (the dev key locally)."""
    return _verified(token, key, [algorithm], rules)


@functools.cache
def jwks_client(url: str, refetch_cooldown_seconds: float = JWKS_REFETCH_COOLDOWN_SECONDS) -> jwt.PyJWKClient:
    """One client per JWKS URL, so its key set is fetched once and then only on an unknown kid or after 5 min."""
    return jwt.PyJWKClient(url, lifespan=300, timeout=JWKS_TIMEOUT_SECONDS, cooldown_duration=refetch_cooldown_seconds)


def decode_jwks_token(token: str, client: jwt.PyJWKClient, rules: TokenRules = DEFAULT_TOKEN_RULES) -> Principal:
    """The principal of a token signed by the identity provider (blocking: it may fetch the JWKS)."""
    return _verified(token, _published_key(token, client), list(JWKS_ALGORITHMS), rules)


def _published_key(token: str, client: jwt.PyJWKClient) -> jwt.PyJWK:
    """The JWKS key the token names by its kid; the algorithm is checked first, so no fetch is spent on HS256."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token: it is malformed") from exc
    kid = header.get("kid")
    if header.get("alg") not in JWKS_ALGORITHMS:
        raise Unauthorized("invalid token: its algorithm is not accepted")
    if not isinstance(kid, str) or not kid:
        raise Unauthorized("invalid token: it names no signing key (kid)")
    try:
        key = client.get_signing_key(kid)
    except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, ValueError) as exc:  # ValueError: not JSON
        raise IdentityProviderUnavailable("the identity provider's signing keys could not be loaded") from exc
    except jwt.PyJWKClientError as exc:
        raise Unauthorized("invalid token: its signing key is not published by the identity provider") from exc
    if key.algorithm_name not in JWKS_ALGORITHMS:
        raise Unauthorized("invalid token: its signing key is not an RS256 or ES256 key")
    return key


def _verified(token: str, key: str | jwt.PyJWK, algorithms: list[str], rules: TokenRules) -> Principal:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            issuer=rules.issuer,
            audience=rules.audience,
            leeway=rules.leeway_seconds,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {_reason(exc)}") from exc
    # A long-lived token is refused even when well signed: a leaked one must not outlive the cap.
    if int(claims["exp"]) - int(claims["iat"]) > rules.max_ttl_seconds:
        raise Unauthorized(f"invalid token: it may live at most {rules.max_ttl_seconds} seconds")
    try:
        return Principal.model_validate(claims)
    except ValidationError as exc:
        raise Unauthorized("token claims are not valid: sub, role and region are required") from exc


# Fixed texts, never the library's message: those can quote parts of the token.
_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "it has expired"),
    (jwt.ImmatureSignatureError, "it is not valid yet (iat or nbf lies in the future)"),
    (jwt.InvalidIssuerError, "its issuer is not accepted"),
    (jwt.InvalidAudienceError, "its audience is not accepted"),
    (jwt.InvalidAlgorithmError, "its algorithm is not accepted"),
    (jwt.InvalidSignatureError, "the signature does not verify"),
)


def _reason(exc: jwt.PyJWTError) -> str:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the {exc.claim} claim is required"
    return next((text for kind, text in _REASONS if isinstance(exc, kind)), "it is malformed")


_bearer = HTTPBearer(auto_error=False)


async def verify_token(token: str, settings: ServiceSettings) -> Principal:
    """The caller a bearer token names: checked against the JWKS when one is set, else the local key."""
    rules = TokenRules.of(settings)
    if settings.jwt_jwks_url is None:
        return decode_token(token, settings.jwt_signing_key, settings.jwt_algorithm, rules)
    # PyJWKClient fetches with blocking urllib: in a worker thread the event loop keeps serving meanwhile.
    return await asyncio.to_thread(decode_jwks_token, token, jwks_client(settings.jwt_jwks_url), rules)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller of this request, from its bearer token and the app's settings."""
    if credentials is None:
        raise Unauthorized("a bearer token is required")
    principal = await verify_token(credentials.credentials, request.app.state.settings)
    request.state.principal = principal  # so that a denial can be audited with who asked
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise Forbidden(f"role {principal.role.value} may not do this; allowed: {allowed}")


def require_region(principal: Principal, *regions: str, not_found: str | None = None) -> None:
    """Allowed when any of `regions` (accepting or hukou) lies inside the caller's region.

    For a resource named by id, pass the words of its 404 as `not_found`: outside the region it is answered
    exactly so, and a caller cannot tell a case of another area from one that does not exist (still audited).
    """
    if not any(principal.covers(r) for r in regions):
        why = f"outside the caller's region {principal.region}"
        raise Forbidden(why) if not_found is None else OutsideRegion(not_found, reason=why)
