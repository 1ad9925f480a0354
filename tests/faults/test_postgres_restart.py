"""PostgreSQL crashes (`pg_ctl stop|restart -m immediate`: no checkpoint, crash recovery on start).

Mid-stream, while a registry import's fan-out is being applied, the server goes for STREAM_OUTAGE_SECONDS:
handlers, relays and requests in flight fail; consumers must retry (not dead-letter) sound events, relays
resume, the windows' calls are repeated. Inside a province's payment run (16 counties: the applicants' and
60,000 more entitlements, so the run is caught inside its INSERT) it restarts at once: the run is all or
nothing — re-run cleanly, every county's lines from that one run, with the count and the money expected."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime

import asyncpg
import httpx
from subsidy_shared.auth import Role

from tests.conftest import token_for
from tests.faults.checks import Figures, exact_outcomes, figures_of
from tests.faults.conftest import SystemFactory
from tests.faults.infra import KafkaBrokers, PrivatePostgres
from tests.faults.system import FaultSystem, rows
from tests.faults.workload import COUNTIES, Workload, bystander_records, this_month

# Twelve more Heilongjiang counties whose beneficiaries are loaded straight into payment's ledger.
SEEDED_COUNTIES = ("230109", "230110", "230111", "230112", "230113", "230123",
                   "230124", "230125", "230126", "230127", "230128", "230129")  # fmt: skip
SEEDED = 60_000
# The mid-stream crash keeps the server down this long (a failover's order of magnitude), longer than the
# consumers' retries with backoff (0.2 + 0.4 + 0.8 + 1.6 s) last.
STREAM_OUTAGE_SECONDS = 5.0
AMOUNT = {"living": 8000, "nursing": 10000}
PROVINCE_ADMIN = token_for(Role.PROVINCIAL_ADMIN, "230000", sub="fault-province")
ENTITLEMENT_COLUMNS = [
    "person_key", "subsidy", "application_id", "province", "county", "township", "hukou_region", "name",
    "id_number", "bank", "account_number", "holder_name", "certificate_number", "certificate_expires_on",
    "reissuing", "tier", "monthly_amount_fen", "policy_version", "start_month", "status", "decided_at", "updated_at",
]  # fmt: skip


def seeded_row(i: int, month: date, now: datetime) -> tuple[tuple[object, ...], tuple[object, ...]]:
    county = SEEDED_COUNTIES[i % len(SEEDED_COUNTIES)]
    subsidy = "nursing" if i % 2 else "living"
    key = f"fault-seed-{i:06d}"
    row = (key, subsidy, uuid.uuid4(), "23", county, f"{county}001", f"{county}001", "张小三", "11010519491231002X",
           "中国农业银行", "6228480000000000000", "张小三", "11010519491231002X41", date(2030, 1, 1), False,
           f"{subsidy}.seed", AMOUNT[subsidy], "23-seed", month, "active", now, now)  # fmt: skip
    # A fixed amount: the month is paid at exactly this, whatever the policy tables say.
    period = (key, subsidy, month, f"{subsidy}.seed", AMOUNT[subsidy], AMOUNT[subsidy], "fault-seed")
    return row, period


async def seed_ledger(fs: FaultSystem, month: date) -> dict[str, tuple[int, int]]:
    """SEEDED entitlements in SEEDED_COUNTIES from `month`; returns county → (lines, fen) a run of it must pay."""
    now = datetime.now(UTC)
    pairs = [seeded_row(i, month, now) for i in range(SEEDED)]
    conn = await asyncpg.connect(fs.databases["payment"].url.replace("+asyncpg", ""))
    try:
        await conn.copy_records_to_table("entitlements", records=[p[0] for p in pairs], columns=ENTITLEMENT_COLUMNS)
        columns = ["person_key", "subsidy", "from_month", "tier", "amount_fen", "fixed_fen", "reason"]
        await conn.copy_records_to_table("rate_periods", records=[p[1] for p in pairs], columns=columns)
        await conn.execute("ANALYZE entitlements; ANALYZE rate_periods")
    finally:
        await conn.close()
    expected: dict[str, tuple[int, int]] = {}
    for row, _ in pairs:
        lines, fen = expected.get(str(row[4]), (0, 0))
        expected[str(row[4])] = (lines + 1, fen + int(row[16]))  # type: ignore[call-overload]
    return expected


async def crash_inside_the_insert(pg: PrivatePostgres, database: str, within: float = 60.0) -> float:
    """Wait until the run's INSERT INTO payments is executing, then crash the server; seconds it was down.

    pg_stat_activity keeps the first 1 kB of a statement: the INSERT's CTE (`WITH scope AS`) is what shows."""
    conn = await asyncpg.connect(pg.server_url.replace("+asyncpg", "") + "/postgres")
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            busy = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state = 'active' "
                "AND query LIKE '%WITH scope AS%'",
                database,
            )
            if busy:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the payment run's INSERT was never seen running")
    finally:
        await conn.close()
    return await asyncio.to_thread(pg.restart, "immediate")


async def test_postgres_crash_mid_stream(
    fault_system: SystemFactory, single_broker: KafkaBrokers, private_pg: PrivatePostgres, http: httpx.AsyncClient
) -> None:
    figures = Figures(f"PostgreSQL stop -m immediate mid-stream, down {STREAM_OUTAGE_SECONDS:.0f}s, started again")
    async with fault_system(single_broker, replicas=2) as fs:
        wl = Workload.of(fs, http, first=50_000, n=100, rate=2.5)
        async with wl.running():
            submitting = asyncio.create_task(wl.submit_all())
            await wl.wait_completed(15, within=90)
            # A registry import's fan-out keeps eligibility, payment and review applying while the server goes.
            await wl.import_records(bystander_records(0, 300))
            await asyncio.sleep(0.3)
            crashed_at = time.monotonic()
            down_s = await asyncio.to_thread(private_pg.restart, "immediate", STREAM_OUTAGE_SECONDS)
            back_at = time.monotonic()
            await wl.settle(submitting)
        outcome = await exact_outcomes(fs, wl)
    figures_of(fs, wl, figures, outcome)
    resumed = wl.first_completion_after(back_at)
    figures["crash at (s into the stream)"] = round(crashed_at - wl.started_at, 1)
    figures["server not answering (s)"] = round(down_s, 2)
    figures["recovery: first completion after the server is back (s)"] = round(resumed - back_at, 2) if resumed else "-"
    figures.print()


async def test_postgres_crash_inside_a_payment_run(
    fault_system: SystemFactory, single_broker: KafkaBrokers, private_pg: PrivatePostgres, http: httpx.AsyncClient
) -> None:
    figures = Figures("PostgreSQL restart -m immediate inside a province's payment run")
    month = this_month()
    async with fault_system(single_broker, replicas=2) as fs:
        # No payment rounds while streaming: the province run below is the only one, so each county's lines are
        # that run's or none.
        wl = Workload.of(fs, http, first=55_000, n=60, rate=3.0, pay_every=None)
        async with wl.running():
            await wl.submit_all()
            await wl.wait_completed(within=120)
            expected = await seed_ledger(fs, date.fromisoformat(f"{month}-01"))
            payment = wl.http["payment"]
            failures_before = payment.failures
            run_started = time.monotonic()
            # The county's call, repeated by the client until a replica answers below 500: the clean re-run.
            run_call = asyncio.create_task(
                payment.request(
                    "POST",
                    "/v1/payment-runs",
                    json={"region": "230000", "month": month},
                    headers=PROVINCE_ADMIN,
                    within=120,
                )
            )
            database = fs.databases["payment"].url.rsplit("/", 1)[1]
            down_s = await crash_inside_the_insert(private_pg, database)
            crashed_at = time.monotonic() - run_started
            answer = await run_call
            run_took = time.monotonic() - run_started
            assert answer.status_code == 201, answer.text
            failed_attempts = payment.failures - failures_before
        outcome = await exact_outcomes(fs, wl)

        # Never half a county: each county's lines of the month come from one run, and are all of them.
        for person in wl.people:
            lines, fen = expected.get(person.county, (0, 0))
            expected[person.county] = (lines + len(person.approved),
                                       fen + sum(AMOUNT[s] for s in person.approved))  # fmt: skip
        paid = await rows(
            fs.databases["payment"],
            "SELECT county, count(*) AS lines, sum(amount_fen) AS fen, array_agg(DISTINCT run_id::text) AS runs "
            "FROM payments WHERE month = CAST(:m AS date) GROUP BY county",
            m=date.fromisoformat(f"{month}-01"),
        )
        by_county = {r["county"]: r for r in paid}
        assert set(by_county) == set(SEEDED_COUNTIES) | set(COUNTIES)
        for county, (lines, fen) in expected.items():
            got = by_county[county]
            assert (got["lines"], got["fen"]) == (lines, fen), (county, got, lines, fen)
            assert got["runs"] == [answer.json()["id"]], (county, got["runs"])
        # The crashed attempt left no row: its transaction died with the server.
        runs = await rows(fs.databases["payment"], "SELECT id::text AS id, status FROM payment_runs")
        assert [(r["id"], r["status"]) for r in runs] == [(answer.json()["id"], "completed")], runs
    figures_of(fs, wl, figures, outcome)
    total_lines = sum(v[0] for v in expected.values())
    total_fen = sum(v[1] for v in expected.values())
    figures["run: counties / lines / fen (each county whole)"] = f"{len(expected)} / {total_lines} / {total_fen}"
    figures["run: server crashed at (s into the run) / down (s)"] = f"{crashed_at:.2f} / {down_s:.2f}"
    figures["run: attempts that failed before the clean re-run"] = failed_attempts
    figures["run: 201 after (s)"] = round(run_took, 2)
    figures["payment_runs rows"] = len(runs)
    figures.print()
    assert failed_attempts >= 1, "the crash did not hit the run"
