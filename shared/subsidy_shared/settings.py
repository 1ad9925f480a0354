"""Typed settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SIGNING_KEY = "liangbu-dev-signing-key-not-for-production-use"
DEV_PERSON_KEY_SECRET = "liangbu-dev-person-key-secret"
DEV_JWT_ISSUER = "liangbu-dev"
JWT_AUDIENCE = "liangbu"
JWT_MAX_TTL_SECONDS = 12 * 3600
JWT_LEEWAY_SECONDS = 30


class ServiceSettings(BaseSettings):
    """Settings every service has; values come from `<PREFIX>_*` then `SUBSIDY_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="SUBSIDY_", extra="ignore", populate_by_name=True)

    env: Literal["dev", "test", "prod"] = "dev"
    service_name: str = "subsidy"
    database_url: str = "postgresql+asyncpg://subsidy:subsidy@127.0.0.1:5432/subsidy"
    kafka_bootstrap: str = "127.0.0.1:9092"
    # Lets tests and parallel environments share one broker without reading each other's events.
    topic_prefix: str = ""
    jwt_signing_key: str = DEV_SIGNING_KEY
    # The algorithm of tokens checked with `jwt_signing_key`; a JWKS is always checked with RS256 / ES256.
    jwt_algorithm: Literal["HS256", "RS256", "ES256"] = "HS256"
    jwt_issuer: str = DEV_JWT_ISSUER
    jwt_audience: str = JWT_AUDIENCE
    # A stolen token is only worth its remaining life: longer-lived tokens are refused, whoever signed them.
    jwt_max_ttl_seconds: int = Field(default=JWT_MAX_TTL_SECONDS, ge=60)
    # The identity provider's public keys; when set, tokens are verified against them and never by the shared key.
    jwt_jwks_url: str | None = None
    # Clock skew tolerated between the identity provider and us (exp, iat, nbf).
    jwt_leeway_seconds: int = Field(default=JWT_LEEWAY_SECONDS, ge=0, le=300)
    person_key_secret: str = DEV_PERSON_KEY_SECRET
    consumer_max_attempts: int = Field(default=5, ge=1, le=50)
    consumer_backoff_seconds: float = Field(default=0.2, gt=0, le=60)
    outbox_poll_seconds: float = Field(default=0.1, gt=0, le=10)
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    consumer_stall_seconds: float = Field(default=60.0, gt=0)
    # How long the group waits for a silent member before its partitions move; heartbeats go at a third of it.
    consumer_session_timeout_ms: int = Field(default=10_000, ge=3_000, le=300_000)
    # This process's ordinal among its service's replicas (the supervisor or a StatefulSet sets it). It becomes
    # the consumer's static group membership: a replica restarted after a crash takes its partitions back at once
    # instead of waiting for its old session to time out.
    replica_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,64}$")
    # Topics are created with these; enough partitions for the replicas of a service to share the work.
    topic_partitions: int = Field(default=6, ge=1, le=1_000)
    topic_replication_factor: int = Field(default=1, ge=1, le=7)
    topic_min_insync_replicas: int = Field(default=1, ge=1, le=7)
    # Test-only fault (aiokafka #1154 model): when env=test and this file exists, the first consumer to be
    # assigned partitions removes it and hangs inside the assignment callback.
    fault_stall_on_assign: str | None = None
    # Request bodies past these are refused unread (413): a JSON body is parsed whole in memory.
    max_json_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Uploads (multipart, CSV, JSON lines); a service with upload endpoints raises it to fit its own file limit.
    max_upload_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    run_background_tasks: bool = True
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_prod(self) -> ServiceSettings:
        if self.env == "prod" and (
            self.jwt_signing_key == DEV_SIGNING_KEY or self.person_key_secret == DEV_PERSON_KEY_SECRET
        ):
            raise ValueError("the dev signing key and person-key secret are refused when env=prod")
        return self

    @model_validator(mode="after")
    def _insync_within_replication(self) -> ServiceSettings:
        if self.topic_min_insync_replicas > self.topic_replication_factor:
            raise ValueError("SUBSIDY_TOPIC_MIN_INSYNC_REPLICAS cannot exceed SUBSIDY_TOPIC_REPLICATION_FACTOR")
        return self

    @model_validator(mode="after")
    def _identity_provider_in_prod(self) -> ServiceSettings:
        # HS256 means every service holds a key that can mint any role: fine on a laptop, not in production.
        if self.env != "prod":
            return self
        if self.jwt_jwks_url is None:
            raise ValueError(
                "env=prod verifies tokens against the identity provider: set SUBSIDY_JWT_JWKS_URL "
                "(HS256 tokens with a shared key are for local runs only)"
            )
        # Whoever can answer for the JWKS can sign tokens: it travels over TLS only.
        if not self.jwt_jwks_url.startswith("https://"):
            raise ValueError("SUBSIDY_JWT_JWKS_URL needs an https URL when env=prod")
        return self

    def topic(self, name: str) -> str:
        """The broker-side name of a logical topic."""
        return f"{self.topic_prefix}{name}"

    def consumer_group(self) -> str:
        return f"{self.topic_prefix}{self.service_name}"
