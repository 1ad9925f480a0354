"""Settings of the workbench: where the five APIs are, the session secret, and how people sign in."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from subsidy_shared.settings import DEV_SIGNING_KEY

DEV_SESSION_SECRET = "liangbu-dev-workbench-session-secret"
ASSETS = Path(__file__).resolve().parents[1] / ".assets" / "node_modules"


class WorkbenchSettings(BaseSettings):
    """`WORKBENCH_*` variables; the environment, signing key, issuer and audience are the services' `SUBSIDY_*`."""

    model_config = SettingsConfigDict(env_prefix="WORKBENCH_", extra="ignore", populate_by_name=True)

    env: Literal["dev", "test", "prod"] = Field(default="dev", validation_alias=AliasChoices("SUBSIDY_ENV", "env"))
    intake_url: str = "http://127.0.0.1:8001"
    routing_url: str = "http://127.0.0.1:8002"
    eligibility_url: str = "http://127.0.0.1:8003"
    payment_url: str = "http://127.0.0.1:8004"
    review_url: str = "http://127.0.0.1:8005"
    api_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    session_secret: str = DEV_SESSION_SECRET
    session_max_age_seconds: int = Field(default=8 * 3600, ge=300, le=24 * 3600)
    secure_cookies: bool = False  # True behind TLS (production)
    # Development sign-in mints tokens the services accept: the same key, issuer and audience.
    jwt_signing_key: str = Field(
        default=DEV_SIGNING_KEY, validation_alias=AliasChoices("SUBSIDY_JWT_SIGNING_KEY", "jwt_signing_key")
    )
    jwt_issuer: str = Field(default="liangbu-dev", validation_alias=AliasChoices("SUBSIDY_JWT_ISSUER", "jwt_issuer"))
    jwt_audience: str = Field(default="liangbu", validation_alias=AliasChoices("SUBSIDY_JWT_AUDIENCE", "jwt_audience"))
    # Production sign-in: OpenID Connect, authorization code with PKCE.
    oidc_issuer_url: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_redirect_url: str | None = None
    oidc_scope: str = "openid profile"
    assets_dir: Path = ASSETS

    @model_validator(mode="after")
    def _production_needs_an_identity_provider(self) -> WorkbenchSettings:
        if self.env == "prod":
            if self.session_secret == DEV_SESSION_SECRET:
                raise ValueError("the development session secret is refused when SUBSIDY_ENV=prod")
            if not (self.oidc_issuer_url and self.oidc_client_id and self.oidc_redirect_url):
                raise ValueError("production sign-in needs WORKBENCH_OIDC_ISSUER_URL, _CLIENT_ID and _REDIRECT_URL")
        return self

    def api_url(self, service: str) -> str:
        url: str = getattr(self, f"{service}_url")
        return url.rstrip("/")

    @property
    def dev_sign_in(self) -> bool:
        return self.env != "prod"
