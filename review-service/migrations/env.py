"""Alembic environment for the review database."""

from review_service.models import Base
from review_service.settings import Settings
from subsidy_shared.migrations import run_migrations

run_migrations(Settings().database_url, Base.metadata)
