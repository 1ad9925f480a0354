"""Which errors a consumer waits out (the database away) and which count as a failed attempt (the message)."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError
from subsidy_shared.db import make_engine
from subsidy_shared.transient import transient

from tests.conftest import SERVER


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_database_that_refuses_connections_is_transient() -> None:
    engine = make_engine(f"postgresql+asyncpg://subsidy:subsidy@127.0.0.1:{_closed_port()}/none")
    with pytest.raises(Exception) as caught:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    await engine.dispose()
    assert transient(caught.value)


async def test_a_constraint_violation_and_bad_sql_are_not() -> None:
    engine = make_engine(f"{SERVER}/postgres")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("CREATE TEMP TABLE t (id int PRIMARY KEY)"))
            await conn.execute(sa.text("INSERT INTO t VALUES (1)"))
            with pytest.raises(IntegrityError) as duplicate:
                await conn.execute(sa.text("INSERT INTO t VALUES (1)"))
            await conn.rollback()
            with pytest.raises(DBAPIError) as syntax:
                await conn.execute(sa.text("SELEC 1"))
    finally:
        await engine.dispose()
    assert not transient(duplicate.value)
    assert not transient(syntax.value)
    assert not transient(ValueError("bad data"))


async def test_a_connection_killed_by_the_server_is_transient() -> None:
    engine = make_engine(f"{SERVER}/postgres")
    admin = make_engine(f"{SERVER}/postgres")
    try:
        async with engine.connect() as conn:
            pid = (await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
            async with admin.connect() as other:
                await other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(DBAPIError) as caught:
                await conn.execute(sa.text("SELECT 1"))
    finally:
        await engine.dispose()
        await admin.dispose()
    assert transient(caught.value)
