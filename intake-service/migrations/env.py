"""Alembic environment for the intake database."""

from intake_service.models import Base
from intake_service.settings import Settings
from subsidy_shared.migrations import run_migrations

run_migrations(Settings().database_url, Base.metadata)
