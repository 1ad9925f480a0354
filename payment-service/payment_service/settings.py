"""Settings of the payment service: shared SUBSIDY_* values, and its own database."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from subsidy_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "payment"
    database_url: str = Field(
        default="postgresql+asyncpg://subsidy:subsidy@127.0.0.1:5432/payment",
        validation_alias=AliasChoices("PAYMENT_DATABASE_URL", "database_url"),
    )
