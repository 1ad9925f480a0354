"""Settings of the eligibility service: shared SUBSIDY_* values, and its own database."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from subsidy_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "eligibility"
    database_url: str = Field(
        default="postgresql+asyncpg://subsidy:subsidy@127.0.0.1:5432/eligibility",
        validation_alias=AliasChoices("ELIGIBILITY_DATABASE_URL", "database_url"),
    )
    # SUBSIDY_PUBLICITY_ENABLED. Off: an approval is the decision at once, whatever the policy's publicity_days
    # (the shipped examples say 5, which would hold every approval a working week). On: an approval waits in
    # step `publicity` until it is closed after the last day, or an objection sends it back.
    publicity_enabled: bool = False
