"""How fast review imports registry records and compares them with the beneficiaries.

Prints numbers; asserts nothing. Uses a throw-away database `bench_review` (no broker: the events stay in the
outbox, as they would until the relay sends them). The import goes through the same code as
POST /v1/registry/records minus HTTP (line validation, COPY into a staging table, set-based upsert, outbox);
the comparison is the one `POST /v1/comparison-runs` runs.

    uv run python -m bench.review_compare --n 1000000
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import typer
from review_service import comparison, imports, records
from review_service.records import GoodLine
from review_service.repository.bulk import copy_rows
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from subsidy_shared.db import make_engine, make_sessionmaker
from subsidy_shared.ids import compose_id_number, person_key
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET

from tests.conftest import fresh_migrated_database, service_info

console = Console()
NOW = datetime(2026, 11, 25, 2, tzinfo=UTC)
COUNTIES = ("230102", "230103", "230104", "230108", "230109")
BENEFICIARY_COLUMNS = (
    "person_key", "subsidy", "application_id", "name", "id_number", "hukou_region", "certificate_number", "tier",
    "monthly_amount_fen", "since_month", "status",
)  # fmt: skip


def _person(i: int) -> tuple[str, str, str]:
    """(id number, person key, hukou township) of the i-th person: distinct for up to 10 million."""
    county = COUNTIES[i % len(COUNTIES)]
    id_number = compose_id_number(county, date(1930, 1, 1) + timedelta(days=i // 1000), i % 1000)
    return id_number, person_key(id_number, DEV_PERSON_KEY_SECRET), f"{county}00{1 + i % 9}"


def _record(i: int, id_number: str, township: str) -> dict[str, Any]:
    """Mostly valid certificates; about one in eleven a fact a rule acts on (death, 低保 ended, 特困 …)."""
    base: dict[str, Any] = {"source": "bench", "record_id": f"r{i}", "id_number": id_number, "region": township}
    kind = i % 100
    if kind < 2:
        return base | {"record_kind": "death", "change": "recorded", "effective_date": "2026-09-15"}
    if kind == 2:
        return base | {"record_kind": "cremation", "change": "recorded", "effective_date": "2026-09-18"}
    if kind == 3:
        return base | {"record_kind": "dibao", "change": "ended", "effective_date": "2026-10-31"}
    if kind == 4:
        return base | {"record_kind": "tekun", "change": "started", "effective_date": "2026-08-01"}
    if kind == 5:
        return base | {"record_kind": "hukou_moved", "change": "moved", "effective_date": "2026-07-01",
                       "facts": {"to_region": "110105"}}  # fmt: skip
    if kind == 6:
        return base | {"record_kind": "imprisonment", "change": "started", "effective_date": "2026-06-01"}
    if kind == 7:
        return base | {"record_kind": "certificate", "change": "revoked"}
    if kind == 8:
        return base | {"record_kind": "pension", "change": "started", "facts": {"monthly_amount_fen": 120000}}
    facts = {"category": 1 + i % 7, "grade": 1 + i % 4, "issued_on": "2020-03-01", "expires_on": "2030-03-01"}
    return base | {"record_kind": "certificate", "change": "issued", "facts": facts}


def _beneficiary_rows(start: int, stop: int) -> Iterator[tuple[Any, ...]]:
    for i in range(start, stop):
        id_number, key, township = _person(i)
        for subsidy, fen in (("living", 8000), ("nursing", 10000))[: 1 + i % 2]:
            yield (key, subsidy, uuid.uuid4(), "张小三", id_number, township, f"{id_number}41", f"{subsidy}.all", fen,
                   "2025-01", "active")  # fmt: skip


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _progress() -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console, transient=True)


async def _load_beneficiaries(sessionmaker: async_sessionmaker[AsyncSession], n: int, chunk: int) -> float:
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("beneficiaries (read model, COPY)", total=n)
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            async with sessionmaker() as session, session.begin():
                await copy_rows(session, "beneficiaries", BENEFICIARY_COLUMNS, _beneficiary_rows(start, stop))
            progress.advance(task, stop - start)
    return time.perf_counter() - started


async def _import(sessionmaker: async_sessionmaker[AsyncSession], n: int, chunk: int) -> tuple[float, int, int]:
    """Validate and import n lines in parts of `chunk` (one transaction each, as one upload would be); the time
    counts reading the text on, not making it up."""
    spent, changed, bad = 0.0, 0, 0
    with _progress() as progress:
        task = progress.add_task("registry import (validate, COPY, upsert, outbox)", total=n)
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            text = "".join(json.dumps(_record(i, *_person(i)[::2])) + "\n" for i in range(start, stop))
            started = time.perf_counter()
            parsed = list(records.parse(text, "jsonl"))
            good = [p.record for p in parsed if isinstance(p, GoodLine)]
            bad += len(parsed) - len(good)
            async with sessionmaker() as session, session.begin():
                changed += await imports.import_records(session, good, DEV_PERSON_KEY_SECRET, NOW)
            spent += time.perf_counter() - started
            progress.advance(task, stop - start)
    return spent, changed, bad


async def _compare(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[float, int, int, dict[str, int]]:
    started = time.perf_counter()
    with console.status("comparison run over every beneficiary"):
        async with sessionmaker() as session, session.begin():
            run = await comparison.compare(session, "", "bench", NOW)
    return time.perf_counter() - started, run.checked, run.raised, run.by_rule


async def _bench(n: int, chunk: int) -> None:
    url = await fresh_migrated_database(service_info("review"), "bench_review")
    engine = make_engine(url, pool_size=2)
    sessionmaker = make_sessionmaker(engine)
    try:
        loaded = await _load_beneficiaries(sessionmaker, n, chunk)
        peaks = [_peak_mib()]
        imported, changed, bad = await _import(sessionmaker, n, chunk)
        again, unchanged, _ = await _import(sessionmaker, min(n, chunk), chunk)
        peaks.append(_peak_mib())
        compared, checked, raised, by_rule = await _compare(sessionmaker)
        recompared, _, raised_again, _ = await _compare(sessionmaker)
        peaks.append(_peak_mib())
    finally:
        await engine.dispose()
    table = Table(title=f"review: {n:,} registry records against {n:,} beneficiaries (real PostgreSQL)")
    for column in ("phase", "rows", "seconds", "rows/s", "result"):
        table.add_column(column, justify="right")
    table.add_row("load beneficiaries (COPY)", f"{n:,}", f"{loaded:.1f}", f"{n / loaded:,.0f}", "")
    table.add_row("import records", f"{n:,}", f"{imported:.1f}", f"{n / imported:,.0f}",
                  f"{changed:,} published, {bad} bad")  # fmt: skip
    table.add_row("re-import first part", f"{min(n, chunk):,}", f"{again:.1f}", f"{min(n, chunk) / again:,.0f}",
                  f"{unchanged} published")  # fmt: skip
    table.add_row("comparison run", f"{checked:,}", f"{compared:.1f}", f"{checked / compared:,.0f}",
                  f"{raised:,} findings")  # fmt: skip
    table.add_row("comparison again", f"{checked:,}", f"{recompared:.1f}", f"{checked / recompared:,.0f}",
                  f"{raised_again} findings")  # fmt: skip
    console.print(table)
    console.print("findings by rule: " + ", ".join(f"{k} {v:,}" for k, v in sorted(by_rule.items())))
    console.print(
        "peak memory of this process (ru_maxrss) after loading, importing, comparing: "
        + ", ".join(f"{p:,.0f} MiB" for p in peaks)
    )


def main(
    n: int = typer.Option(1_000_000, "--n", help="registry records and beneficiaries (people)"),
    chunk: int = typer.Option(50_000, help="lines per import transaction (one upload)"),
) -> None:
    asyncio.run(_bench(n, chunk))


if __name__ == "__main__":
    typer.run(main)
