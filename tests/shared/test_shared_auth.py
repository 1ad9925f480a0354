"""Bearer tokens, their issuer, audience and lifetime cap, role and region checks, and the prod settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from pydantic import ValidationError
from subsidy_shared.auth import Principal, Role, TokenRules, decode_token, issue_token, require_region, require_role
from subsidy_shared.errors import Forbidden, Unauthorized
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET, DEV_SIGNING_KEY, ServiceSettings

from tests.conftest import token_for

KEY = "test-signing-key-at-least-32-bytes-long"
OTHER_KEY = "another-signing-key-at-least-32-bytes"
PROD_SIGNING_KEY = "prod-signing-key-from-the-secret-store-0001"
PROD_PERSON_KEY_SECRET = "prod-person-key-secret-from-the-secret-store"
PROD_JWKS_URL = "https://idp.gov.example/realms/liangbu/protocol/openid-connect/certs"


def _principal(role: Role = Role.WINDOW_CLERK, region: str = "230102001") -> Principal:
    return Principal(sub="clerk-230102001-01", role=role, region=region)


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": "clerk-230102001-01",
        "role": "window_clerk",
        "region": "230102001",
        "iss": "liangbu-dev",
        "aud": "liangbu",
        "iat": datetime.now(UTC),
        "exp": datetime.now(UTC) + timedelta(hours=1),
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def test_a_token_decodes_to_the_principal_it_was_issued_for() -> None:
    principal = _principal(Role.COUNTY_CIVIL_AFFAIRS, "230102")

    assert decode_token(issue_token(principal, KEY), KEY) == principal


def test_an_expired_token_is_unauthorized() -> None:
    token = issue_token(_principal(), KEY, ttl=timedelta(minutes=-1))  # past the 30 s clock leeway

    with pytest.raises(Unauthorized, match="expired"):
        decode_token(token, KEY)


def test_a_token_signed_with_another_key_is_unauthorized() -> None:
    token = issue_token(_principal(), OTHER_KEY)

    with pytest.raises(Unauthorized, match="invalid token"):
        decode_token(token, KEY)


@pytest.mark.parametrize(
    "token",
    ["", "not-a-jwt", "a.b.c"],
    ids=["empty", "no-dots", "three-garbage-parts"],
)
def test_a_malformed_token_is_unauthorized(token: str) -> None:
    with pytest.raises(Unauthorized):
        decode_token(token, KEY)


@pytest.mark.parametrize(
    "claims",
    [
        _claims(role=None),
        _claims(role="mayor"),
        _claims(region=None),
        _claims(region="999999"),
        _claims(region="2301"),
        _claims(sub=None),
        _claims(exp=None),
        _claims(iss=None),
        _claims(aud=None),
    ],
    ids=[
        "missing-role",
        "unknown-role",
        "missing-region",
        "region-not-in-gb2260",
        "region-malformed",
        "missing-sub",
        "missing-exp",
        "missing-iss",
        "missing-aud",
    ],
)
def test_a_token_with_bad_claims_is_unauthorized(claims: dict[str, Any]) -> None:
    token = jwt.encode(claims, KEY, algorithm="HS256")

    with pytest.raises(Unauthorized):
        decode_token(token, KEY)


def test_a_dev_token_is_accepted_under_the_default_settings() -> None:
    bearer = token_for(Role.WINDOW_CLERK, "230102001")["Authorization"].removeprefix("Bearer ")

    principal = decode_token(bearer, DEV_SIGNING_KEY, rules=TokenRules.of(ServiceSettings()))

    assert principal == Principal(sub="tester", role=Role.WINDOW_CLERK, region="230102001")


def test_a_token_valid_until_2100_is_unauthorized() -> None:
    token = jwt.encode(_claims(exp=datetime(2100, 1, 1, tzinfo=UTC)), KEY, algorithm="HS256")

    with pytest.raises(Unauthorized, match="may live at most 43200 seconds"):
        decode_token(token, KEY)


def test_the_lifetime_cap_comes_from_the_settings() -> None:
    rules = TokenRules.of(ServiceSettings(jwt_max_ttl_seconds=3600))
    two_hours = issue_token(_principal(), KEY, ttl=timedelta(hours=2))

    assert decode_token(issue_token(_principal(), KEY, ttl=timedelta(hours=1)), KEY, rules=rules) == _principal()
    with pytest.raises(Unauthorized, match="may live at most 3600 seconds"):
        decode_token(two_hours, KEY, rules=rules)


def test_a_token_of_another_issuer_is_unauthorized() -> None:
    token = jwt.encode(_claims(iss="someone-else"), KEY, algorithm="HS256")

    with pytest.raises(Unauthorized, match="issuer is not accepted"):
        decode_token(token, KEY)


def test_a_token_for_another_audience_is_unauthorized() -> None:
    token = jwt.encode(_claims(aud="payroll"), KEY, algorithm="HS256")

    with pytest.raises(Unauthorized, match="audience is not accepted"):
        decode_token(token, KEY)


def test_issuer_and_audience_come_from_the_settings() -> None:
    rules = TokenRules.of(ServiceSettings(jwt_issuer="https://idp.gov.example", jwt_audience="liangbu-prod"))
    theirs = issue_token(_principal(), KEY, issuer="https://idp.gov.example", audience="liangbu-prod")

    assert decode_token(theirs, KEY, rules=rules) == _principal()
    with pytest.raises(Unauthorized, match="issuer is not accepted"):
        decode_token(issue_token(_principal(), KEY), KEY, rules=rules)


def test_a_token_without_iat_is_unauthorized() -> None:
    token = jwt.encode(_claims(iat=None), KEY, algorithm="HS256")

    with pytest.raises(Unauthorized, match="the iat claim is required"):
        decode_token(token, KEY)


def test_a_token_issued_in_the_future_is_unauthorized() -> None:
    later = datetime.now(UTC) + timedelta(minutes=10)
    token = jwt.encode(_claims(iat=later, exp=later + timedelta(hours=1)), KEY, algorithm="HS256")

    with pytest.raises(Unauthorized, match="not valid yet"):
        decode_token(token, KEY)


def test_a_clock_a_few_seconds_ahead_is_tolerated() -> None:
    soon = datetime.now(UTC) + timedelta(seconds=10)
    token = jwt.encode(_claims(iat=soon, exp=soon + timedelta(hours=1)), KEY, algorithm="HS256")

    assert decode_token(token, KEY) == _principal()


@pytest.mark.parametrize(
    "claims",
    [_claims(aud="aud-4f1c9e-attacker-text"), _claims(iss="iss-4f1c9e-attacker-text"), _claims(iat="4f1c9e")],
    ids=["audience", "issuer", "iat-not-a-number"],
)
def test_an_unauthorized_message_never_quotes_the_token(claims: dict[str, Any]) -> None:
    token = jwt.encode(claims, KEY, algorithm="HS256")

    with pytest.raises(Unauthorized) as caught:
        decode_token(token, KEY)

    assert "4f1c9e" not in caught.value.message
    assert not any(part in caught.value.message for part in token.split("."))


def test_a_token_with_the_none_algorithm_is_unauthorized() -> None:
    token = jwt.encode(_claims(), key="", algorithm="none")

    with pytest.raises(Unauthorized):
        decode_token(token, KEY)


def test_unauthorized_is_a_401() -> None:
    with pytest.raises(Unauthorized) as caught:
        decode_token("not-a-jwt", KEY)

    assert caught.value.status == 401


def test_require_role_allows_a_listed_role() -> None:
    require_role(_principal(Role.TOWNSHIP_REVIEWER), Role.WINDOW_CLERK, Role.TOWNSHIP_REVIEWER)


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.COUNTY_CIVIL_AFFAIRS])
def test_require_role_forbids_every_other_role(role: Role) -> None:
    with pytest.raises(Forbidden, match="may not do this") as caught:
        require_role(_principal(role), Role.COUNTY_CIVIL_AFFAIRS)

    assert caught.value.status == 403


@pytest.mark.parametrize(
    ("caller_region", "regions"),
    [
        ("230000", ("230102001",)),
        ("230100", ("230102001",)),
        ("230102", ("230102001", "510104001")),
        ("510104", ("230102001", "510104001")),
        ("230102001", ("230102001001",)),
    ],
    ids=[
        "province-covers-township",
        "city-covers-township",
        "county-of-the-accepting-window",
        "county-of-the-hukou",
        "township-covers-village",
    ],
)
def test_require_region_allows_a_caller_whose_region_covers_the_case(caller_region: str, regions: tuple[str]) -> None:
    require_region(_principal(Role.PROVINCIAL_ADMIN, caller_region), *regions)


@pytest.mark.parametrize(
    ("caller_region", "regions"),
    [
        ("230103", ("230102001", "510104001")),
        ("230200", ("230102001",)),
        ("510000", ("230102001",)),
        ("230102001", ("230102002",)),
        ("230102", ()),
    ],
    ids=[
        "neighbouring-county",
        "other-city",
        "other-province",
        "neighbouring-township",
        "no-region-given",
    ],
)
def test_require_region_forbids_a_caller_outside_the_case(caller_region: str, regions: tuple[str]) -> None:
    with pytest.raises(Forbidden, match="outside the caller's region"):
        require_region(_principal(Role.COUNTY_CIVIL_AFFAIRS, caller_region), *regions)


def test_a_principal_with_an_unknown_region_is_refused() -> None:
    with pytest.raises(ValidationError, match="region claim is not a valid region code"):
        _principal(region="999999")


@pytest.mark.parametrize(
    ("signing_key", "person_key_secret"),
    [
        (DEV_SIGNING_KEY, PROD_PERSON_KEY_SECRET),
        (PROD_SIGNING_KEY, DEV_PERSON_KEY_SECRET),
        (DEV_SIGNING_KEY, DEV_PERSON_KEY_SECRET),
    ],
    ids=["dev-signing-key", "dev-person-key-secret", "both-dev"],
)
def test_prod_settings_refuse_dev_secrets(signing_key: str, person_key_secret: str) -> None:
    with pytest.raises(ValidationError, match="refused when env=prod"):
        ServiceSettings(
            env="prod", jwt_signing_key=signing_key, person_key_secret=person_key_secret, jwt_jwks_url=PROD_JWKS_URL
        )


def test_prod_settings_accept_real_secrets() -> None:
    settings = ServiceSettings(
        env="prod",
        jwt_signing_key=PROD_SIGNING_KEY,
        person_key_secret=PROD_PERSON_KEY_SECRET,
        jwt_jwks_url=PROD_JWKS_URL,
    )

    assert settings.env == "prod"


@pytest.mark.parametrize("algorithm", ["HS256", "RS256", "ES256"])
def test_prod_settings_refuse_tokens_without_an_identity_provider(algorithm: str) -> None:
    with pytest.raises(ValidationError, match="set SUBSIDY_JWT_JWKS_URL"):
        ServiceSettings(
            env="prod",
            jwt_signing_key=PROD_SIGNING_KEY,
            person_key_secret=PROD_PERSON_KEY_SECRET,
            jwt_algorithm=algorithm,
        )


def test_prod_settings_refuse_a_jwks_url_without_tls() -> None:
    with pytest.raises(ValidationError, match="needs an https URL"):
        ServiceSettings(
            env="prod",
            jwt_signing_key=PROD_SIGNING_KEY,
            person_key_secret=PROD_PERSON_KEY_SECRET,
            jwt_jwks_url="http://idp.gov.example/certs",
        )


@pytest.mark.parametrize("seconds", [0, 59])
def test_a_lifetime_cap_under_a_minute_is_refused(seconds: int) -> None:
    with pytest.raises(ValidationError, match="jwt_max_ttl_seconds"):
        ServiceSettings(jwt_max_ttl_seconds=seconds)


def test_dev_settings_accept_the_dev_secrets() -> None:
    settings = ServiceSettings(env="dev", jwt_signing_key=DEV_SIGNING_KEY, person_key_secret=DEV_PERSON_KEY_SECRET)

    assert settings.jwt_signing_key == DEV_SIGNING_KEY


def test_prod_settings_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBSIDY_ENV", "prod")
    monkeypatch.setenv("SUBSIDY_JWT_SIGNING_KEY", PROD_SIGNING_KEY)
    monkeypatch.setenv("SUBSIDY_PERSON_KEY_SECRET", PROD_PERSON_KEY_SECRET)
    monkeypatch.setenv("SUBSIDY_JWT_JWKS_URL", PROD_JWKS_URL)
    monkeypatch.setenv("SUBSIDY_JWT_MAX_TTL_SECONDS", "3600")

    settings = ServiceSettings()

    assert (settings.jwt_signing_key, settings.jwt_jwks_url) == (PROD_SIGNING_KEY, PROD_JWKS_URL)
    assert settings.jwt_max_ttl_seconds == 3600


@pytest.mark.parametrize(
    ("prefix", "name", "broker_name"),
    [
        ("", "subsidy.cases", "subsidy.cases"),
        ("test-gw0.", "subsidy.cases", "test-gw0.subsidy.cases"),
        ("ci-42-", "subsidy.cases.dlq", "ci-42-subsidy.cases.dlq"),
    ],
)
def test_topic_adds_the_environment_prefix(prefix: str, name: str, broker_name: str) -> None:
    settings = ServiceSettings(topic_prefix=prefix)

    assert settings.topic(name) == broker_name


def test_consumer_group_is_the_prefixed_service_name() -> None:
    settings = ServiceSettings(topic_prefix="test-gw0.", service_name="routing")

    assert settings.consumer_group() == "test-gw0.routing"
