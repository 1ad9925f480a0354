"""Hypothesis against the real database: the set-based run pays exactly what the pure rules say.

Random beneficiaries (start month, certificate expiry, a rate change, a termination) in Guangdong, whose
policy raised its amounts in 2025 and 2026; random run months, in any order, with reruns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payment_service import policies, runs
from payment_service.rules import RatePeriod, RateTable, Schedule, TierRate, month_text, payable_months, rate_for
from subsidy_shared.auth import Principal, Role
from subsidy_shared.events import BenefitChanged, BenefitChangedData, Reason
from subsidy_shared.policy import EXAMPLES
from subsidy_shared.policy.timing import add_months

from tests.conftest import ServiceDatabase, truncate_all
from tests.payment.conftest import GUANGZHOU_TOWNSHIP, NOW, apply, at, beneficiary, certificate, concluded, decided

FIRST = date(2024, 10, 1)
LAST = date(2026, 11, 1)
SPAN = (LAST.year - FIRST.year) * 12 + LAST.month - FIRST.month
OFFICIAL = Principal(sub="gz-civil-affairs", role=Role.COUNTY_CIVIL_AFFAIRS, region="440103")
GD_RATES = RateTable(
    [
        TierRate(r["tier"], r["from_month"], r["to_month"], r["amount_fen"])
        for r in policies.tier_rate_rows([v for v in EXAMPLES if v.province == "44"])
        if r["subsidy"] == "living"
    ]
)


@dataclass(frozen=True)
class Case:
    start: int
    expires_after: int | None  # months after the start whose last day the certificate expires
    change_after: int | None  # months after the start a benefit.changed (custom tier, 300 yuan) applies
    stop_after: int | None  # months after the start a termination applies

    def month(self, offset: int) -> date:
        return add_months(FIRST, self.start + offset)

    @property
    def expires_on(self) -> date | None:
        """The last day of the month `expires_after` months after the start."""
        if self.expires_after is None:
            return None
        return add_months(self.month(self.expires_after), 1) - timedelta(days=1)


cases_st = st.lists(
    st.builds(
        Case,
        start=st.integers(0, SPAN),
        expires_after=st.none() | st.integers(0, 20),
        change_after=st.none() | st.integers(1, 20),
        stop_after=st.none() | st.integers(1, 20),
    ),
    min_size=1,
    max_size=5,
)
runs_st = st.lists(st.integers(0, SPAN), min_size=1, max_size=4)


def expected(case: Case, through: date) -> list[tuple[date, int]]:
    schedule = Schedule(
        start=case.month(0),
        stop=case.month(case.stop_after) if case.stop_after is not None else None,
        certificate_expires_on=case.expires_on,
    )
    periods = [RatePeriod(case.month(0), "living.all", 18100)]
    if case.change_after is not None:
        periods.append(RatePeriod(case.month(case.change_after), "living.custom", 30000))
    return [(m, rate_for(m, periods, GD_RATES)) for m in payable_months(schedule, through)]


async def arrange(db: ServiceDatabase, cases: list[Case]) -> None:
    for index, case in enumerate(cases):
        who = beneficiary(index + 1, hukou=GUANGZHOU_TOWNSHIP)
        if case.expires_on is not None:
            await apply(db, certificate(who, issued_on="2016-01-01", expires_on=str(case.expires_on)))
        submitted = str(case.month(0).replace(day=10))
        await apply(
            db,
            decided(who, submitted=submitted, nursing=None, living=("living.all", 18100), policy_version="44-2021-01"),
        )
        if case.change_after is not None:
            data = BenefitChangedData(
                person_key=who.key,
                subsidy="living",
                effective_month=month_text(case.month(case.change_after)),
                tier="living.custom",
                monthly_amount_fen=30000,
                policy_version="44-2026-01",
                reason=Reason(rule_id="standard.custom", text="县级提标"),
            )
            await apply(db, BenefitChanged(source="test", data=data))
        if case.stop_after is not None:
            await apply(db, concluded(who, "terminate", month_text(case.month(case.stop_after)), ("living",)))


async def run(db: ServiceDatabase, month: date) -> int:
    async with db.sessionmaker() as session, session.begin():
        done = await runs.run_month(session, OFFICIAL, "440103", month, NOW, at("2026-11-23").date())
        return done.paid_count


async def paid(db: ServiceDatabase) -> dict[str, list[tuple[date, int]]]:
    async with db.engine.connect() as conn:
        rows = (await conn.exec_driver_sql("SELECT person_key, month, amount_fen FROM payments ORDER BY month")).all()
    found: dict[str, list[tuple[date, int]]] = {}
    for row in rows:
        found.setdefault(row.person_key, []).append((row.month, row.amount_fen))
    return found


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=cases_st, run_months=runs_st)
async def test_a_run_pays_exactly_the_payable_months_at_each_months_rate_once(
    db: ServiceDatabase, cases: list[Case], run_months: list[int]
) -> None:
    await truncate_all(db.engine)
    await arrange(db, cases)
    for offset in run_months:
        await run(db, add_months(FIRST, offset))
    through = add_months(FIRST, max(run_months))

    found = await paid(db)
    before = await db.scalar("SELECT sum(amount_fen) FROM payments")
    rerun = await run(db, through)

    for index, case in enumerate(cases):
        key = beneficiary(index + 1, hukou=GUANGZHOU_TOWNSHIP).key
        assert found.get(key, []) == expected(case, through), case
    assert rerun == 0
    assert await db.scalar("SELECT sum(amount_fen) FROM payments") == before
    duplicates = (
        "SELECT count(*) FROM (SELECT 1 FROM payments GROUP BY person_key, subsidy, month HAVING count(*) > 1) d"
    )
    assert await db.scalar(duplicates) == 0
