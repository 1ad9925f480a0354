"""`subsidyctl pay`: a monthly payment run from the command line, with a progress bar.

It runs the service's own use case against the payment database (the same transaction, the same outbox
row), so a running payment service publishes `payment_run.completed` as if the run had come over HTTP.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer
from payment_service import runs
from payment_service.models import PaymentRun
from payment_service.rules import parse_month
from payment_service.schemas import PaymentRunCreate
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from subsidy_shared.auth import Principal, Role
from subsidy_shared.db import make_engine, make_sessionmaker
from subsidy_shared.errors import DomainError
from subsidy_shared.money import yuan
from subsidy_shared.workdays import china_date

from subsidyctl.catalog import DEFAULT_SERVER, SERVICES

console = Console()


async def _pay(database_url: str, region: str, month: str, operator: str) -> PaymentRun:
    engine = make_engine(database_url)
    sessionmaker = make_sessionmaker(engine)
    now = datetime.now(UTC)
    principal = Principal(sub=operator, role=Role.OPS, region=region)
    columns = (TextColumn("counties"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("pay", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            async with sessionmaker() as session, session.begin():
                return await runs.run_month(
                    session, principal, region, parse_month(month), now, china_date(now), advance
                )
    finally:
        await engine.dispose()


def pay(
    region: Annotated[str, typer.Option(help="county (6 digits) or province (e.g. 230000)")],
    month: Annotated[str, typer.Option(help="YYYY-MM; arrears of earlier months are included")],
    operator: Annotated[str, typer.Option(help="who runs it, for the audit log")] = "subsidyctl",
    server: Annotated[str, typer.Option(envvar="SUBSIDY_DB_SERVER", help="PostgreSQL server URL")] = DEFAULT_SERVER,
    database_url: Annotated[
        str | None, typer.Option(envvar="PAYMENT_DATABASE_URL", help="the payment database (overrides --server)")
    ] = None,
) -> None:
    """Run a month's payments for a county or a province (idempotent: a rerun pays nobody twice)."""
    try:
        request = PaymentRunCreate(region=region, month=month)
    except ValidationError as exc:
        console.print(f"[red]refused:[/] {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}")
        raise typer.Exit(2) from exc
    database_url = database_url or next(s for s in SERVICES if s.name == "payment").database_url(server)
    try:
        run = asyncio.run(_pay(database_url, request.region, request.month, operator))
    except DomainError as exc:
        console.print(f"[red]refused:[/] {exc.message}")
        raise typer.Exit(2) from exc
    console.print(
        f"run {run.id}: {run.paid_count} lines ({run.arrears_count} arrears, {run.carried_count} carried), "
        f"total ¥{yuan(run.total_fen)}, offsets ¥{yuan(run.offset_fen)}",
        soft_wrap=True,
    )
