"""Production sign-in: OpenID Connect, authorization code with PKCE, against a real identity provider on loopback."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from workbench.app import create_app
from workbench.settings import WorkbenchSettings

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CLIENT = "liangbu-workbench"
CALLBACK = "http://workbench/auth/callback"


class IdentityProvider:
    """Discovery, JWKS and a token endpoint that checks the PKCE verifier against the challenge it was given."""

    def __init__(self) -> None:
        self.challenge = ""
        self.nonce = ""
        self.verified = False
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.endswith("/.well-known/openid-configuration"):
                    self._json(provider.metadata())
                elif self.path.endswith("/jwks"):
                    jwk = {**RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "k1", "alg": "RS256"}
                    self._json({"keys": [jwk]})
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                verifier = form.get("code_verifier", [""])[0]
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                provider.verified = digest == provider.challenge and form.get("code") == ["the-code"]
                if not provider.verified:
                    self._json({"error": "invalid_grant"}, 400)
                    return
                self._json({"access_token": provider.token({"role": "window_clerk", "region": "230102001"}),
                            "id_token": provider.token({"nonce": provider.nonce, "aud": CLIENT, "name": "王窗口"}),
                            "token_type": "Bearer", "expires_in": 3600})  # fmt: skip

            def _json(self, body: dict[str, Any], status: int = 200) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def token(self, claims: dict[str, Any]) -> str:
        now = int(time.time())
        base = {"iss": self.issuer, "sub": "wang-window", "aud": "liangbu", "iat": now, "exp": now + 600}
        return jwt.encode({**base, **claims}, KEY, algorithm="RS256", headers={"kid": "k1"})


@contextlib.asynccontextmanager
async def _browser(idp: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-out browser on a workbench whose sign-in is the identity provider's."""
    settings = WorkbenchSettings(
        env="test", oidc_issuer_url=idp.issuer, oidc_client_id=CLIENT, oidc_redirect_url=CALLBACK
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://workbench") as browser,
    ):
        yield browser


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    thread = threading.Thread(target=provider.server.serve_forever, daemon=True)
    thread.start()
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


async def test_sign_in_by_openid_connect_uses_pkce_and_keeps_the_providers_token(idp: IdentityProvider) -> None:
    async with _browser(idp) as browser:
        start = await browser.get("/login/oidc", params={"next": "/window/applications"})
        asked = parse_qs(urlsplit(start.headers["location"]).query)
        idp.challenge, idp.nonce = asked["code_challenge"][0], asked["nonce"][0]
        back = await browser.get("/auth/callback", params={"code": "the-code", "state": asked["state"][0]})
        home = await browser.get("/")

    assert start.headers["location"].startswith(f"{idp.issuer}/authorize?")
    assert asked["code_challenge_method"] == ["S256"] and asked["client_id"] == [CLIENT]
    assert idp.verified  # the token request carried the verifier of the challenge
    assert back.status_code == 303 and back.headers["location"] == "/window/applications"
    assert home.status_code == 200 and "受理窗口" in home.text and "230102001" in home.text


async def test_a_callback_with_a_forged_state_signs_no_one_in(idp: IdentityProvider) -> None:
    async with _browser(idp) as browser:
        await browser.get("/login/oidc")
        back = await browser.get("/auth/callback", params={"code": "the-code", "state": "forged"})
        home = await browser.get("/")

    assert back.status_code == 401 and "登录未完成" in back.text
    assert home.status_code == 303  # still signed out
