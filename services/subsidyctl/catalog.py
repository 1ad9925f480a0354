"""The five services and the workbench: where their code lives, their ports and their databases."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    name: str
    port: int
    module: str | None = None  # the Python package, when not `<name>_service`
    directory: str | None = None  # the folder in the repository, when not `<name>-service`
    ready_path: str = "/readyz"  # answers 200 once the process serves

    @property
    def package(self) -> str:
        return self.module or f"{self.name}_service"

    @property
    def folder(self) -> Path:
        return REPO_ROOT / (self.directory or f"{self.name}-service")

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
# The staff workbench (工作台): a backend-for-frontend without a database, calling the five APIs as the user.
WORKBENCH = ServiceInfo("workbench", 8000, module="workbench", directory="services/workbench", ready_path="/healthz")


def workbench_env(service_urls: Mapping[str, str]) -> dict[str, str]:
    """WORKBENCH_<SERVICE>_URL for each service name → its base URL."""
    return {f"WORKBENCH_{name.upper()}_URL": url for name, url in service_urls.items()}


DEFAULT_SERVER = "postgresql+asyncpg://subsidy:subsidy@127.0.0.1:5432"
