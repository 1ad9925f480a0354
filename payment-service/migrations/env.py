"""Alembic environment for the payment database."""

from payment_service.models import Base
from payment_service.settings import Settings
from subsidy_shared.migrations import run_migrations

run_migrations(Settings().database_url, Base.metadata)
