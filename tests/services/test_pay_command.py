"""`subsidyctl pay` against the real payment database: the same run as the API, a progress bar, clear refusals."""

from __future__ import annotations

import asyncio

from subsidy_shared.db import make_engine, make_sessionmaker
from subsidyctl.cli import app
from typer.testing import CliRunner

from tests.conftest import ServiceDatabase
from tests.payment.conftest import beneficiary, decided

runner = CliRunner()


async def _seed(url: str) -> None:
    from payment_service.consumers import subscriptions

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            event = decided(beneficiary(7001), submitted="2026-10-05")
            await subscriptions().handlers[event.type](event, session)
    finally:
        await engine.dispose()


async def _count(url: str) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.exec_driver_sql("SELECT count(*) FROM payments")).scalar_one())
    finally:
        await engine.dispose()


def test_pay_runs_a_month_with_its_arrears_and_a_rerun_pays_nobody(db: ServiceDatabase) -> None:
    asyncio.run(_seed(db.url))

    first = runner.invoke(app, ["pay", "--region", "230103", "--month", "2026-11", "--database-url", db.url])
    again = runner.invoke(app, ["pay", "--region", "230103", "--month", "2026-11", "--database-url", db.url])

    assert first.exit_code == 0, first.output
    assert "4 lines (2 arrears, 0 carried), total ¥360.00" in first.output
    assert "0 lines" in again.output
    assert asyncio.run(_count(db.url)) == 4


def test_pay_refuses_a_bad_month_or_region_clearly(db: ServiceDatabase) -> None:
    bad_month = runner.invoke(app, ["pay", "--region", "230103", "--month", "2026-13", "--database-url", db.url])
    township = runner.invoke(app, ["pay", "--region", "230103002", "--month", "2026-11", "--database-url", db.url])

    assert bad_month.exit_code == 2 and "month" in bad_month.output
    assert township.exit_code == 2 and "not a township" in township.output
