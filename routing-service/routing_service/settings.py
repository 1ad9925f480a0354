"""Settings of the routing service: shared SUBSIDY_* values, its own database, and the province systems."""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from subsidy_shared.regions import is_valid_region
from subsidy_shared.settings import ServiceSettings


class ProvinceSystem(BaseModel):
    """A province that decides cases in its own system (自建系统) and exchanges them with us over HTTP."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    endpoint: str = Field(pattern=r"^https?://[^\s]+$", examples=["https://liangbu.gd.gov.cn/exchange"])
    credential: SecretStr
    name: str = ""

    @property
    def base_url(self) -> str:
        return self.endpoint.rstrip("/")


class Settings(ServiceSettings):
    service_name: str = "routing"
    database_url: str = Field(
        default="postgresql+asyncpg://subsidy:subsidy@127.0.0.1:5432/routing",
        validation_alias=AliasChoices("ROUTING_DATABASE_URL", "database_url"),
    )
    # SUBSIDY_PROVINCE_SYSTEMS='{"44": {"endpoint": "...", "credential": "...", "name": "..."}}'
    province_systems: dict[str, ProvinceSystem] = Field(default_factory=dict)
    breach_scan_seconds: float = Field(default=60.0, gt=0, le=3600)
    breach_scan_batch: int = Field(default=1000, ge=1, le=100_000)
    push_poll_seconds: float = Field(default=2.0, gt=0, le=600)
    push_batch: int = Field(default=20, ge=1, le=500)
    push_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    push_backoff_seconds: float = Field(default=5.0, gt=0, le=3600)
    push_backoff_max_seconds: float = Field(default=3600.0, gt=0, le=86_400)

    @field_validator("province_systems")
    @classmethod
    def _province_codes(cls, value: dict[str, ProvinceSystem]) -> dict[str, ProvinceSystem]:
        for code in value:
            if len(code) != 2 or not is_valid_region(code + "0000"):
                raise ValueError(f"{code!r} is not a 2-digit province code")
        return value

    @model_validator(mode="after")
    def _tls_in_prod(self) -> Settings:
        # Cases carry ID numbers and bank accounts: in production they only travel over TLS.
        plain = [code for code, system in self.province_systems.items() if not system.endpoint.startswith("https://")]
        if self.env == "prod" and plain:
            raise ValueError(f"province systems {plain} need an https endpoint when env=prod")
        return self

    def province_system(self, province: str) -> ProvinceSystem | None:
        return self.province_systems.get(province)
