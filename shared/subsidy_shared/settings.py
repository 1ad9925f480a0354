"""Typed settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SIGNING_KEY = "liangbu-dev-signing-key-not-for-production-use"
DEV_PERSON_KEY_SECRET = "liangbu-dev-person-key-secret"


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
    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    person_key_secret: str = DEV_PERSON_KEY_SECRET
    consumer_max_attempts: int = Field(default=5, ge=1, le=50)
    consumer_backoff_seconds: float = Field(default=0.2, gt=0, le=60)
    outbox_poll_seconds: float = Field(default=0.1, gt=0, le=10)
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    consumer_stall_seconds: float = Field(default=60.0, gt=0)
    run_background_tasks: bool = True
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_prod(self) -> ServiceSettings:
        if self.env == "prod" and (
            self.jwt_signing_key == DEV_SIGNING_KEY or self.person_key_secret == DEV_PERSON_KEY_SECRET
        ):
            raise ValueError("the dev signing key and person-key secret are refused when env=prod")
        return self

    def topic(self, name: str) -> str:
        """The broker-side name of a logical topic."""
        return f"{self.topic_prefix}{name}"

    def consumer_group(self) -> str:
        return f"{self.topic_prefix}{self.service_name}"
