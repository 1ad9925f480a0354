"""Bearer tokens, role and region checks, and the settings that refuse dev secrets in production."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from pydantic import ValidationError
from subsidy_shared.auth import Principal, Role, decode_token, issue_token, require_region, require_role
from subsidy_shared.errors import Forbidden, Unauthorized
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET, DEV_SIGNING_KEY, ServiceSettings

KEY = "test-signing-key-at-least-32-bytes-long"
OTHER_KEY = "another-signing-key-at-least-32-bytes"
PROD_SIGNING_KEY = "prod-signing-key-from-the-secret-store-0001"
PROD_PERSON_KEY_SECRET = "prod-person-key-secret-from-the-secret-store"


def _principal(role: Role = Role.WINDOW_CLERK, region: str = "230102001") -> Principal:
    return Principal(sub="clerk-230102001-01", role=role, region=region)


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": "clerk-230102001-01",
        "role": "window_clerk",
        "region": "230102001",
        "exp": datetime.now(UTC) + timedelta(hours=1),
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def test_a_token_decodes_to_the_principal_it_was_issued_for() -> None:
    principal = _principal(Role.COUNTY_CIVIL_AFFAIRS, "230102")

    assert decode_token(issue_token(principal, KEY), KEY) == principal


def test_an_expired_token_is_unauthorized() -> None:
    token = issue_token(_principal(), KEY, ttl=timedelta(seconds=-1))

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
    ],
    ids=[
        "missing-role",
        "unknown-role",
        "missing-region",
        "region-not-in-gb2260",
        "region-malformed",
        "missing-sub",
        "missing-exp",
    ],
)
def test_a_token_with_bad_claims_is_unauthorized(claims: dict[str, Any]) -> None:
    token = jwt.encode(claims, KEY, algorithm="HS256")

    with pytest.raises(Unauthorized):
        decode_token(token, KEY)


def test_a_token_with_the_none_algorithm_is_unauthorized() -> None:
    token = jwt.encode(_claims(), key=None, algorithm="none")

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
        ServiceSettings(env="prod", jwt_signing_key=signing_key, person_key_secret=person_key_secret)


def test_prod_settings_accept_real_secrets() -> None:
    settings = ServiceSettings(env="prod", jwt_signing_key=PROD_SIGNING_KEY, person_key_secret=PROD_PERSON_KEY_SECRET)

    assert settings.env == "prod"


def test_dev_settings_accept_the_dev_secrets() -> None:
    settings = ServiceSettings(env="dev", jwt_signing_key=DEV_SIGNING_KEY, person_key_secret=DEV_PERSON_KEY_SECRET)

    assert settings.jwt_signing_key == DEV_SIGNING_KEY


def test_prod_settings_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBSIDY_ENV", "prod")
    monkeypatch.setenv("SUBSIDY_JWT_SIGNING_KEY", PROD_SIGNING_KEY)
    monkeypatch.setenv("SUBSIDY_PERSON_KEY_SECRET", PROD_PERSON_KEY_SECRET)

    assert ServiceSettings().jwt_signing_key == PROD_SIGNING_KEY


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
