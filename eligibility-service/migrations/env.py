"""Alembic environment for the eligibility database."""

from eligibility_service.models import Base
from eligibility_service.settings import Settings
from subsidy_shared.migrations import run_migrations

run_migrations(Settings().database_url, Base.metadata)
