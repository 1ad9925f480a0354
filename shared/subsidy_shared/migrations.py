"""Alembic env shared by every service: async engine, URL from the service's settings."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def run_migrations(url: str, metadata: MetaData) -> None:
    """Call from a service's migrations/env.py."""
    config_url = context.config.get_main_option("sqlalchemy.url")
    url = config_url or url
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, metadata))


def _do_run(connection: Connection, metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, metadata: MetaData) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_do_run, metadata)
    await engine.dispose()


def upgrade_head(service_dir: str, url: str) -> None:
    """Programmatic `alembic upgrade head` for a service folder (used by subsidyctl and tests)."""
    from alembic import command
    from alembic.config import Config

    config = Config(f"{service_dir}/alembic.ini")
    config.set_main_option("script_location", f"{service_dir}/migrations")
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
