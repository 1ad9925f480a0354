"""The five services: where their code lives, their ports and their databases."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    name: str
    port: int

    @property
    def package(self) -> str:
        return f"{self.name}_service"

    @property
    def folder(self) -> Path:
        return REPO_ROOT / f"{self.name}-service"

    @property
    def app(self) -> str:
        return f"{self.package}.app:create_app"

    @property
    def database_env(self) -> str:
        return f"{self.name.upper()}_DATABASE_URL"

    def database_url(self, base: str, database: str | None = None) -> str:
        """`base` is a server URL without a database, e.g. postgresql+asyncpg://u:p@127.0.0.1:5432."""
        return f"{base.rstrip('/')}/{database or self.name}"


SERVICES: tuple[ServiceInfo, ...] = (
    ServiceInfo("intake", 8001),
    ServiceInfo("routing", 8002),
    ServiceInfo("eligibility", 8003),
    ServiceInfo("payment", 8004),
    ServiceInfo("review", 8005),
)
DEFAULT_SERVER = "postgresql+asyncpg://subsidy:subsidy@127.0.0.1:5432"
