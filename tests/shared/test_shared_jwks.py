"""Production identity: tokens of the identity provider checked against its JWKS, served by a real local server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from subsidy_shared.auth import (
    CurrentPrincipal,
    IdentityProviderUnavailable,
    Role,
    TokenRules,
    decode_jwks_token,
    jwks_client,
    verify_token,
)
from subsidy_shared.errors import Unauthorized, install_error_handlers
from subsidy_shared.settings import DEV_SIGNING_KEY, ServiceSettings

IDP_ISSUER = "https://idp.gov.example/realms/liangbu"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ROTATED_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
IMPOSTOR_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_PUBLIC_PEM = RSA_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _jwk(key: PrivateKey, kid: str) -> dict[str, Any]:
    """The public half of `key` as the identity provider publishes it."""
    if isinstance(key, rsa.RSAPrivateKey):
        return {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig", "alg": "RS256"}
    return {**ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig", "alg": "ES256"}


class JwksServer:
    """The identity provider's JWKS endpoint on 127.0.0.1; it counts fetches, and keys can be added (rotation)."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.keys = keys
        self.fetches = 0
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.fetches += 1
                body = json.dumps({"keys": served.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test output is for failures."""

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll so that stopping takes milliseconds, not the default half second.
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/protocol/openid-connect/certs"

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()


@pytest.fixture
def idp() -> Iterator[JwksServer]:
    server = JwksServer([_jwk(RSA_KEY, "rsa-1"), _jwk(EC_KEY, "ec-1")])
    jwks_client.cache_clear()  # a port may come back in a later test: no client may outlive its server
    yield server
    server.stop()
    jwks_client.cache_clear()


def _settings(idp: JwksServer) -> ServiceSettings:
    return ServiceSettings(env="test", jwt_jwks_url=idp.url, jwt_issuer=IDP_ISSUER)


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": "clerk-230102001-01", "role": "window_clerk", "region": "230102001", "iss": IDP_ISSUER,
              "aud": "liangbu", "iat": now, "exp": now + 3600}  # fmt: skip
    return {**claims, **overrides}


def _idp_token(key: PrivateKey, kid: str, **overrides: Any) -> str:
    algorithm = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    return jwt.encode(_claims(**overrides), key, algorithm=algorithm, headers={"kid": kid})


def _app(settings: ServiceSettings) -> FastAPI:
    """The smallest service: one route behind the same dependency every service uses."""
    app = FastAPI()
    app.state.settings = settings
    install_error_handlers(app)

    @app.get("/whoami")
    async def whoami(principal: CurrentPrincipal) -> dict[str, str]:
        return {"sub": principal.sub, "role": principal.role.value, "region": principal.region}

    return app


async def _get_whoami(settings: ServiceSettings, token: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/whoami", headers={"Authorization": f"Bearer {token}"})


def _hs256_signed_with(secret: bytes, kid: str) -> str:
    """An HS256 token made by hand, so that any secret can sign it (PyJWT refuses a PEM as an HMAC key)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{part(_claims())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


async def test_an_rs256_token_of_the_identity_provider_passes_the_dependency(idp: JwksServer) -> None:
    response = await _get_whoami(_settings(idp), _idp_token(RSA_KEY, "rsa-1"))

    assert response.status_code == 200, response.text
    assert response.json() == {"sub": "clerk-230102001-01", "role": "window_clerk", "region": "230102001"}


async def test_an_es256_token_of_the_identity_provider_is_accepted(idp: JwksServer) -> None:
    principal = await verify_token(_idp_token(EC_KEY, "ec-1", role="auditor"), _settings(idp))

    assert (principal.sub, principal.role) == ("clerk-230102001-01", Role.AUDITOR)


async def test_a_token_signed_by_another_key_under_a_published_kid_is_a_401(idp: JwksServer) -> None:
    response = await _get_whoami(_settings(idp), _idp_token(IMPOSTOR_KEY, "rsa-1"))

    assert response.status_code == 401
    assert response.json()["detail"] == "invalid token: the signature does not verify"


async def test_a_token_whose_algorithm_differs_from_its_published_key_is_refused(idp: JwksServer) -> None:
    ec_signed_under_the_rsa_kid = _idp_token(EC_KEY, "rsa-1")

    with pytest.raises(Unauthorized, match="algorithm is not accepted"):
        await verify_token(ec_signed_under_the_rsa_kid, _settings(idp))


async def test_repeated_tokens_with_a_known_kid_fetch_the_jwks_once(idp: JwksServer) -> None:
    settings = _settings(idp)

    for sub in ("clerk-1", "clerk-2", "clerk-3"):
        await verify_token(_idp_token(RSA_KEY, "rsa-1", sub=sub), settings)
    await verify_token(_idp_token(EC_KEY, "ec-1"), settings)

    assert idp.fetches == 1


def test_a_rotated_key_is_accepted_after_one_refetch(idp: JwksServer) -> None:
    client = jwks_client(idp.url, refetch_cooldown_seconds=0)
    rules = TokenRules(issuer=IDP_ISSUER)
    decode_jwks_token(_idp_token(RSA_KEY, "rsa-1"), client, rules)

    idp.keys.append(_jwk(ROTATED_KEY, "rsa-2"))
    principal = decode_jwks_token(_idp_token(ROTATED_KEY, "rsa-2", sub="after-rotation"), client, rules)
    decode_jwks_token(_idp_token(ROTATED_KEY, "rsa-2"), client, rules)

    assert principal.sub == "after-rotation"
    assert idp.fetches == 2


async def test_made_up_kids_do_not_refetch_the_jwks_within_the_cooldown(idp: JwksServer) -> None:
    settings = _settings(idp)
    await verify_token(_idp_token(RSA_KEY, "rsa-1"), settings)

    for kid in ("made-up-1", "made-up-2", "made-up-3"):
        with pytest.raises(Unauthorized, match="signing key is not published by the identity provider"):
            await verify_token(_idp_token(IMPOSTOR_KEY, kid), settings)

    assert idp.fetches == 1


async def test_an_unknown_kid_is_refused_without_quoting_it(idp: JwksServer) -> None:
    with pytest.raises(Unauthorized) as caught:
        await verify_token(_idp_token(IMPOSTOR_KEY, "kid-7d3e-from-the-caller"), _settings(idp))

    assert "7d3e" not in caught.value.message


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode(_claims(), DEV_SIGNING_KEY, algorithm="HS256", headers={"kid": "rsa-1"}),
        _hs256_signed_with(RSA_PUBLIC_PEM, "rsa-1"),
        jwt.encode(_claims(), "", algorithm="none", headers={"kid": "rsa-1"}),
    ],
    ids=["dev-key", "public-key-as-hmac-secret", "none"],
)
async def test_a_token_not_signed_rs256_or_es256_is_a_401_when_a_jwks_is_set(idp: JwksServer, token: str) -> None:
    response = await _get_whoami(_settings(idp), token)

    assert response.status_code == 401
    assert response.json()["detail"] == "invalid token: its algorithm is not accepted"
    assert idp.fetches == 0


async def test_a_token_without_a_kid_is_refused(idp: JwksServer) -> None:
    no_kid = jwt.encode(_claims(), RSA_KEY, algorithm="RS256")

    with pytest.raises(Unauthorized, match="names no signing key"):
        await verify_token(no_kid, _settings(idp))


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "payroll"}, "audience is not accepted"),
        ({"iss": "liangbu-dev"}, "issuer is not accepted"),
        ({"exp": 4102444800}, "may live at most 43200 seconds"),
        ({"iat_from_now": 600}, "not valid yet"),  # when the test runs, not when it was collected
    ],
    ids=["other-audience", "dev-issuer", "valid-until-2100", "issued-in-the-future"],
)
async def test_a_well_signed_idp_token_still_meets_the_claim_rules(
    idp: JwksServer, overrides: dict[str, Any], reason: str
) -> None:
    if "iat_from_now" in overrides:
        overrides = {"iat": int(time.time()) + overrides["iat_from_now"]}
    with pytest.raises(Unauthorized, match=reason):
        await verify_token(_idp_token(RSA_KEY, "rsa-1", **overrides), _settings(idp))


async def test_an_unreachable_identity_provider_is_a_503_not_a_401(idp: JwksServer) -> None:
    settings = _settings(idp)
    idp.stop()

    response = await _get_whoami(settings, _idp_token(RSA_KEY, "rsa-1"))

    assert response.status_code == IdentityProviderUnavailable.status == 503
    assert "could not be loaded" in response.json()["detail"]
