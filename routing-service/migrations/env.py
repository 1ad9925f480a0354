"""Alembic environment for the routing database."""

from routing_service.models import Base
from routing_service.settings import Settings
from subsidy_shared.migrations import run_migrations

run_migrations(Settings().database_url, Base.metadata)
