"""`subsidyctl token`: a development token with issuer and audience, refused in production."""

from __future__ import annotations

import jwt
import pytest
from subsidy_shared.auth import Principal, Role, TokenRules, decode_token
from subsidy_shared.settings import DEV_SIGNING_KEY
from subsidyctl.cli import app
from typer.testing import CliRunner

runner = CliRunner()
TOKEN_ARGS = ["token", "--role", "window_clerk", "--region", "230102001"]


@pytest.fixture(autouse=True)
def _local_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the shell running the tests has set, each test starts from a laptop's settings."""
    for name in ("SUBSIDY_ENV", "SUBSIDY_JWT_ISSUER", "SUBSIDY_JWT_AUDIENCE", "SUBSIDY_JWT_MAX_TTL_SECONDS"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "production",
    [
        {"SUBSIDY_ENV": "prod"},
        {
            "SUBSIDY_ENV": "prod",
            "SUBSIDY_JWT_SIGNING_KEY": "prod-signing-key-from-the-secret-store-0001",
            "SUBSIDY_PERSON_KEY_SECRET": "prod-person-key-secret-from-the-secret-store",
            "SUBSIDY_JWT_JWKS_URL": "https://idp.gov.example/certs",
        },
    ],
    ids=["bare", "fully-configured"],
)
def test_token_is_refused_when_env_is_prod(monkeypatch: pytest.MonkeyPatch, production: dict[str, str]) -> None:
    for name, value in production.items():
        monkeypatch.setenv(name, value)

    result = runner.invoke(app, TOKEN_ARGS)

    assert result.exit_code == 2
    assert "refused when SUBSIDY_ENV=prod" in result.stderr
    assert result.stdout == ""


def test_a_minted_token_carries_the_configured_issuer_and_audience(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBSIDY_JWT_ISSUER", "liangbu-laptop")

    result = runner.invoke(app, [*TOKEN_ARGS, "--sub", "clerk-7", "--hours", "2"])

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"], claims["exp"] - claims["iat"]) == ("liangbu-laptop", "liangbu", 7200)
    rules = TokenRules(issuer="liangbu-laptop")
    assert decode_token(token, DEV_SIGNING_KEY, rules=rules) == Principal(
        sub="clerk-7", role=Role.WINDOW_CLERK, region="230102001"
    )


def test_a_token_longer_than_the_lifetime_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBSIDY_JWT_MAX_TTL_SECONDS", "3600")

    result = runner.invoke(app, [*TOKEN_ARGS, "--hours", "2"])

    assert result.exit_code == 2
    assert "3600" in result.output
