"""Settings of the payment service: shared SUBSIDY_* values, and its own database."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field
from subsidy_shared.limits import MULTIPART_ALLOWANCE
from subsidy_shared.settings import ServiceSettings

MAX_RETURN_FILE_BYTES = 256 * 1024 * 1024  # a million lines of ~60 bytes, with room to spare


class Settings(ServiceSettings):
    service_name: str = "payment"
    database_url: str = Field(
        default="postgresql+asyncpg://subsidy:subsidy@127.0.0.1:5432/payment",
        validation_alias=AliasChoices("PAYMENT_DATABASE_URL", "database_url"),
    )
    # SUBSIDY_BANK_FILE_ENCODING: what the banks' systems read; most domestic bank interfaces expect GBK.
    bank_file_encoding: Literal["utf-8", "gbk"] = "gbk"
    # SUBSIDY_MAX_UPLOAD_BYTES: the request cap, a return file at its limit in its multipart framing.
    max_upload_bytes: int = Field(default=MAX_RETURN_FILE_BYTES + MULTIPART_ALLOWANCE, ge=1024, le=1024 * 1024 * 1024)
