"""Settings of the intake service: shared SUBSIDY_* values, and its own database."""

from __future__ import annotations

from pydantic import AliasChoices, Field, model_validator
from subsidy_shared.limits import MULTIPART_ALLOWANCE
from subsidy_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "intake"
    database_url: str = Field(
        default="postgresql+asyncpg://subsidy:subsidy@127.0.0.1:5432/intake",
        validation_alias=AliasChoices("INTAKE_DATABASE_URL", "database_url"),
    )
    materials_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)

    @model_validator(mode="after")
    def _upload_cap_fits_a_material(self) -> Settings:
        # Unless set on its own, the request cap follows the material limit: a lower one would refuse good files.
        if "max_upload_bytes" not in self.model_fields_set:
            self.max_upload_bytes = self.materials_max_bytes + MULTIPART_ALLOWANCE
        return self
