"""Settings of the review service: shared SUBSIDY_* values, and its own database."""

from __future__ import annotations

from pydantic import AliasChoices, Field, model_validator
from subsidy_shared.limits import MULTIPART_ALLOWANCE
from subsidy_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "review"
    database_url: str = Field(
        default="postgresql+asyncpg://subsidy:subsidy@127.0.0.1:5432/review",
        validation_alias=AliasChoices("REVIEW_DATABASE_URL", "database_url"),
    )
    # One upload of registry records (≈ 100,000 lines, a few hundred MiB while validated); `subsidyctl import`
    # sends big files in parts of 20,000 lines.
    import_max_bytes: int = Field(default=32 * 1024 * 1024, ge=1024, le=512 * 1024 * 1024)
    # 70号 item 13: the federation reminds a certificate holder this many months before the card expires.
    reminder_months: int = Field(default=6, ge=1, le=12)
    # A beneficiary without a passed 生存验证 for this many months is overdue (local practice: yearly).
    survival_check_months: int = Field(default=12, ge=1, le=36)
    # Background loops (only with run_background_tasks): comparison of every region, and the reminders.
    comparison_every_seconds: float = Field(default=3600.0, gt=0)
    reminders_every_seconds: float = Field(default=3600.0, gt=0)

    @model_validator(mode="after")
    def _upload_cap_fits_an_import(self) -> Settings:
        # Unless set on its own, the request cap follows the import limit: a lower one would refuse good files.
        if "max_upload_bytes" not in self.model_fields_set:
            self.max_upload_bytes = self.import_max_bytes + MULTIPART_ALLOWANCE
        return self
