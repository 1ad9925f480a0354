"""Settings of the review service: shared SUBSIDY_* values, and its own database."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from subsidy_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "review"
    database_url: str = Field(
        default="postgresql+asyncpg://subsidy:subsidy@127.0.0.1:5432/review",
        validation_alias=AliasChoices("REVIEW_DATABASE_URL", "database_url"),
    )
