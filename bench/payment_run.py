"""One province's monthly payment run at scale, against a raw PostgreSQL COPY of as many payment rows.

Generates N entitlements with a realistic mix (COPY), marks last month as paid, runs this month for the
whole province through the service's own use case, and prints wall time, rows/s and peak memory; then
COPYs the same number of payment rows into a table shaped like `payments` and prints the ratio.
Prints numbers; asserts nothing. Uses a throw-away database `bench_payment`.

    uv run python -m bench.payment_run --n 1000000
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg
import typer
from payment_service import policies, runs
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from subsidy_shared.auth import Principal, Role
from subsidy_shared.db import make_engine, make_sessionmaker

from tests.conftest import DB_PREFIX, fresh_migrated_database, service_info

console = Console()
MONTH = date(2026, 11, 1)
LAST_MONTH = date(2026, 10, 1)
NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
PROVINCE = "44"
COUNTIES = [f"44{city:02d}{county:02d}" for city in range(1, 21) for county in range(1, 7)]  # 120 counties
CHUNK = 50_000


@dataclass
class Result:
    entitlements: int
    paid: int
    arrears: int
    run_seconds: float
    peak_rss_mib: float
    copy_seconds: float


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _entitlement(i: int, rng: random.Random) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """One entitlement row and its rate period, drawn from the mix a province has."""
    county = COUNTIES[i % len(COUNTIES)]
    subsidy = "nursing" if rng.random() < 0.55 else "living"
    draw = rng.random()
    start = date(2019 + i % 7, 1 + i % 12, 1)
    arrears_from = None
    expires: date | None = date(2030, 1 + i % 12, 28)
    if draw < 0.02:  # approved this month, handed in three months ago: arrears
        start = arrears_from = date(2026, 8, 1)
    elif draw < 0.07:  # certificate ran out: not paid this month
        expires = date(2026, 9, 30)
    amount = 29000 if subsidy == "nursing" else 21700
    key = f"bench{i:08d}"
    row = (key, subsidy, uuid.uuid4(), PROVINCE, county, f"{county}001", f"{county}001", "张小三",
           "11010519491231002X", "中国农业银行", "6228480000000000000", "张小三", None,
           "11010519491231002X41", expires, False, f"{subsidy}.all", amount, "44-2026-01", start, None, "active",
           arrears_from, NOW, NOW)  # fmt: skip
    period = (key, subsidy, start, f"{subsidy}.all", amount, None, "审定")
    return row, period


ENTITLEMENT_COLUMNS = [
    "person_key", "subsidy", "application_id", "province", "county", "township", "hukou_region", "name",
    "id_number", "bank", "account_number", "holder_name", "account_changed_at", "certificate_number",
    "certificate_expires_on", "reissuing", "tier", "monthly_amount_fen", "policy_version", "start_month",
    "stop_month", "status", "arrears_from", "decided_at", "updated_at",
]  # fmt: skip
PERIOD_COLUMNS = ["person_key", "subsidy", "from_month", "tier", "amount_fen", "fixed_fen", "reason"]


async def _generate(conn: asyncpg.Connection, n: int) -> None:
    rng = random.Random(2026)
    with _progress() as progress:
        task = progress.add_task("generating entitlements (COPY)", total=n)
        for first in range(0, n, CHUNK):
            pairs = [_entitlement(i, rng) for i in range(first, min(first + CHUNK, n))]
            await conn.copy_records_to_table("entitlements", records=[p[0] for p in pairs], columns=ENTITLEMENT_COLUMNS)
            await conn.copy_records_to_table("rate_periods", records=[p[1] for p in pairs], columns=PERIOD_COLUMNS)
            progress.advance(task, len(pairs))
    # Last month was paid: this run is the ordinary monthly one (plus the new approvals' arrears).
    await conn.execute(
        "INSERT INTO payment_runs VALUES ($1, '440000', '44', $2, 'completed', 'bench', $3, $3, 0, 0, 0, 0, 0, '{}')",
        uuid.uuid4(), LAST_MONTH, NOW,
    )  # fmt: skip
    await conn.execute("ANALYZE")


async def _run(url: str) -> tuple[int, int, float]:
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    principal = Principal(sub="bench", role=Role.PROVINCIAL_ADMIN, region="440000")
    try:
        async with sessionmaker() as session, session.begin():
            await policies.ensure_seeded(session)
        with _progress() as progress:
            task = progress.add_task("province run 2026-11 (counties)", total=len(COUNTIES))
            started = time.perf_counter()
            async with sessionmaker() as session, session.begin():
                run = await runs.run_month(
                    session,
                    principal,
                    "440000",
                    MONTH,
                    NOW,
                    NOW.date(),
                    lambda done, total: progress.update(task, completed=done, total=total),
                )
            elapsed = time.perf_counter() - started
        return run.paid_count, run.arrears_count, elapsed
    finally:
        await engine.dispose()


async def _raw_copy(conn: asyncpg.Connection, rows: int) -> float:
    """The floor: COPY as many rows into a table with the same columns, keys and indexes as `payments`."""
    await conn.execute("DROP TABLE IF EXISTS bench_copy")
    await conn.execute("CREATE TABLE bench_copy (LIKE payments INCLUDING ALL)")
    run_id = uuid.uuid4()
    records = [(f"bench{i:08d}", "living", MONTH, 21700, 0, "living.all", COUNTIES[i % 120], run_id, "issued", 1)
               for i in range(rows)]  # fmt: skip
    columns = ["person_key", "subsidy", "month", "amount_fen", "offset_fen", "tier", "county", "run_id", "status",
               "attempts"]  # fmt: skip
    started = time.perf_counter()
    async with conn.transaction():
        await conn.copy_records_to_table("bench_copy", records=records, columns=columns)
    return time.perf_counter() - started


async def bench(n: int) -> Result:
    url = await fresh_migrated_database(service_info("payment"), f"{DB_PREFIX}bench_payment")
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await _generate(conn, n)
        paid, arrears, run_seconds = await _run(url)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        copy_seconds = await _raw_copy(conn, paid)
    finally:
        await conn.close()
    return Result(n, paid, arrears, run_seconds, peak, copy_seconds)


def main(n: int = typer.Option(1_000_000, help="entitlements in the province")) -> None:
    result = asyncio.run(bench(n))
    table = Table(title=f"payment run, one province, {result.entitlements:,} entitlements (real PostgreSQL)")
    for column in ("payments", "of which arrears", "run s", "rows/s", "peak RSS MiB", "raw COPY s", "run / COPY"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{result.paid:,}",
        f"{result.arrears:,}",
        f"{result.run_seconds:.1f}",
        f"{result.paid / result.run_seconds:,.0f}",
        f"{result.peak_rss_mib:.0f}",
        f"{result.copy_seconds:.1f}",
        f"{result.run_seconds / result.copy_seconds:.1f}×",
    )
    console.print(table)
    console.print("peak RSS is this process (the run's client side); PostgreSQL's work_mem is separate.")


if __name__ == "__main__":
    typer.run(main)
