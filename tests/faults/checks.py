"""The exact outcomes every fault test asserts (issue 13), and the figures each one prints.

Nothing lost, nothing twice: every application has one case at routing, one at eligibility, one decision,
one entitlement per approved subsidy; one payment per person, subsidy and month; the money paid is what the
decisions say (amount × months, computed here from the decisions, not from payment's own figures); no
outbox row left; nothing dead-lettered; and each effect event went out under one id only.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from subsidy_shared.events import decode_event
from subsidy_shared.topics import TOPICS

from tests.e2e.conftest import eventually
from tests.faults.system import SERVICE_NAMES, FaultSystem, rows
from tests.faults.workload import Workload, this_month

# Effects that happen once per subject (the application, the payment run): one event id each, ever.
ONE_PER_SUBJECT = frozenset(
    {
        "subsidy.application.submitted.v1",
        "subsidy.case.routed.v1",
        "subsidy.eligibility.decided.v1",
        "subsidy.case.result_returned.v1",
        "subsidy.payment_run.completed.v1",
    }
)
IDS = "CAST(:ids AS uuid[])"


def months_between(first: str, last: str) -> list[str]:
    """'2026-08', '2026-11' → the four months, both ends included."""
    y, m = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    months = []
    while (y, m) <= end:
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def month_text(value: Any) -> str:
    return value.strftime("%Y-%m") if isinstance(value, date) else str(value)[:7]


@dataclass
class Figures:
    """What a fault test prints: the work done, the fault's cost, and what the system absorbed. Printed when
    the test has them, and again together at the end of the session (tests/faults/conftest.py)."""

    name: str
    values: dict[str, Any] = field(default_factory=dict)

    def __setitem__(self, key: str, value: Any) -> None:
        self.values[key] = value

    def lines(self) -> list[str]:
        width = max((len(k) for k in self.values), default=0)
        found = [f"=== fault figures: {self.name} ==="]
        for key, value in self.values.items():
            shown = f"{value:.2f}" if isinstance(value, float) else str(value)
            found.append(f"  {key:<{width}}  {shown}")
        return found

    def print(self) -> None:
        REPORTED.append(self)
        print("\n" + "\n".join(self.lines()), flush=True)


REPORTED: list[Figures] = []


async def no_outbox_left(fs: FaultSystem, within: float = 60.0) -> dict[str, int]:
    """Every outbox row of the five databases published (the relays catch up after a fault)."""

    async def backlog() -> dict[str, int] | None:
        found = {}
        for name in SERVICE_NAMES:
            found[name] = int(
                await fs.databases[name].scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL") or 0
            )
        return None if any(found.values()) else found

    try:
        await eventually(backlog, within=within, interval=0.5)
    except AssertionError:
        left = {n: await fs.databases[n].scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                for n in SERVICE_NAMES}  # fmt: skip
        raise AssertionError(f"outbox rows left unpublished: {left}") from None
    totals = {}
    for name in SERVICE_NAMES:
        totals[name] = int(await fs.databases[name].scalar("SELECT count(*) FROM outbox") or 0)
    return totals


async def event_ids(fs: FaultSystem) -> dict[str, Any]:
    """Each id carries one payload; each once-per-subject effect has one id; no effect went out under two ids.
    Returns the counts and the set of ids on the topics."""
    messages = 0
    distinct: set[Any] = set()
    payload_of: dict[Any, bytes] = {}
    ids_per_subject: dict[tuple[str, str], set[Any]] = defaultdict(set)
    ids_per_data: dict[tuple[str, str], set[Any]] = defaultdict(set)
    for spec in TOPICS:
        for record in await fs.read_topic(spec.name):
            event = decode_event(record.value)
            messages += 1
            distinct.add(str(event.id))
            # A relay may publish a row twice (killed between send and mark): always the same bytes.
            assert payload_of.setdefault(event.id, record.value) == record.value, f"event {event.id} differs"
            if event.type in ONE_PER_SUBJECT:
                ids_per_subject[(event.type, event.subject or "")].add(event.id)
            data = json.dumps(event.model_dump(mode="json")["data"], sort_keys=True)
            ids_per_data[(event.type, data)].add(event.id)
    twice = {k: v for k, v in ids_per_subject.items() if len(v) > 1}
    assert not twice, f"effects published under more than one id: {list(twice.items())[:5]}"
    same = {k[0]: len(v) for k, v in ids_per_data.items() if len(v) > 1}
    assert not same, f"the same effect under several ids: {same}"
    return {"messages": messages, "ids": distinct, "republished": messages - len(distinct)}


async def exact_outcomes(fs: FaultSystem, wl: Workload, *, paid_through: str | None = None) -> dict[str, Any]:
    """Assert issue 13's exact outcomes for the workload's applications; returns the counted figures."""
    people = {p.key: p for p in wl.people}
    n = len(people)
    ids = wl.application_ids
    assert len(ids) == n, f"{len(ids)} applications for {n} people"
    dbs = fs.databases

    # A dead letter is a loss whatever follows: said first, in so many words.
    letters = await fs.dead_letters()
    assert not letters, f"{len(letters)} sound events dead-lettered: {letters}"

    # intake: one application per person, nothing created twice by a retried call; each knows its decision.
    assert await dbs["intake"].scalar("SELECT count(*) FROM applications") == n
    assert await dbs["intake"].scalar("SELECT count(DISTINCT person_key) FROM applications") == n

    async def intake_knows() -> bool:
        sql = f"SELECT count(*) FROM applications WHERE id = ANY({IDS}) AND decided_at IS NOT NULL"
        return bool(await dbs["intake"].scalar(sql, ids=ids) == n)

    await eventually(intake_knows, within=60)

    # routing and eligibility: one case each; one decision; the outcomes the registry records call for.
    for service in ("routing", "eligibility"):
        got = await rows(dbs[service], "SELECT count(*) AS n, count(DISTINCT application_id) AS d FROM cases")
        assert (got[0]["n"], got[0]["d"]) == (n, n), (service, got)

    async def routing_decided() -> bool:
        sql = f"SELECT count(*) FROM cases WHERE application_id = ANY({IDS}) AND decided_at IS NOT NULL"
        return bool(await dbs["routing"].scalar(sql, ids=ids) == n)

    await eventually(routing_decided, within=60)
    decisions = await rows(
        dbs["eligibility"], "SELECT application_id::text AS id, person_key, decisions FROM decisions"
    )
    assert len(decisions) == n and {d["id"] for d in decisions} == set(ids)
    expected_lines: set[tuple[str, str, str]] = set()
    expected_fen = 0
    through = paid_through or this_month()
    for d in decisions:
        person = people[d["person_key"]]
        outcomes = {x["subsidy"]: x["outcome"] for x in d["decisions"]}
        assert outcomes == person.expected, (person.sequence, outcomes)
        for x in d["decisions"]:
            if x["outcome"] != "approved":
                continue
            for month in months_between(month_text(x["start_month"]), through):
                expected_lines.add((d["person_key"], x["subsidy"], month))
                expected_fen += int(x["monthly_amount_fen"])

    # payment: one entitlement per approved subsidy; one payment per person, subsidy and month.
    entitlements = await rows(
        dbs["payment"], "SELECT person_key, subsidy, application_id::text AS id, status FROM entitlements"
    )
    mine = [e for e in entitlements if e["person_key"] in people]
    want = {(p.key, s) for p in people.values() for s in p.approved}
    assert Counter((e["person_key"], e["subsidy"]) for e in mine) == Counter(want)
    payments = await rows(
        dbs["payment"],
        "SELECT person_key, subsidy, to_char(month, 'YYYY-MM') AS month, amount_fen, offset_fen, county, "
        "run_id::text AS run_id FROM payments",
    )
    keyed = Counter((p["person_key"], p["subsidy"], p["month"]) for p in payments)
    assert all(c == 1 for c in keyed.values()), [k for k, c in keyed.items() if c > 1][:5]
    paid_mine = {k for k in keyed if k[0] in people}
    assert paid_mine == expected_lines, (
        f"missing {sorted(expected_lines - paid_mine)[:5]}, unexpected {sorted(paid_mine - expected_lines)[:5]}"
    )
    paid_fen = sum(p["amount_fen"] for p in payments if p["person_key"] in people)
    assert paid_fen == expected_fen, (paid_fen, expected_fen)
    await run_totals_match(fs)

    # review: the beneficiaries' read model has each approved subsidy once and nothing left open.
    beneficiaries = await rows(dbs["review"], "SELECT person_key, subsidy FROM beneficiaries")
    assert Counter((b["person_key"], b["subsidy"]) for b in beneficiaries if b["person_key"] in people) == Counter(want)
    sql = f"SELECT count(*) FROM open_applications WHERE application_id = ANY({IDS})"
    assert await dbs["review"].scalar(sql, ids=ids) == 0

    outbox_rows = await no_outbox_left(fs)
    letters = await fs.dead_letters()
    assert not letters, f"{len(letters)} sound events dead-lettered: {letters}"
    ids_seen = await event_ids(fs)
    # The outboxes and the topics hold the same events: none marked published and not sent, none sent from nowhere.
    outbox_ids: set[Any] = set()
    for name in SERVICE_NAMES:
        outbox_ids |= {r["id"] for r in await rows(dbs[name], "SELECT event_id::text AS id FROM outbox")}
    assert outbox_ids == ids_seen["ids"], (
        f"{len(outbox_ids - ids_seen['ids'])} outbox events not on the topics, "
        f"{len(ids_seen['ids'] - outbox_ids)} on the topics from no outbox"
    )
    inbox = {name: int(await dbs[name].scalar("SELECT count(*) FROM inbox") or 0) for name in SERVICE_NAMES}
    return {
        "applications": n,
        "entitlements": len(mine),
        "payments": len(paid_mine),
        "paid_fen": paid_fen,
        "outbox_rows": sum(outbox_rows.values()),
        "events_on_topics": ids_seen["messages"],
        "events_republished_same_id": ids_seen["republished"],
        "events_processed": sum(inbox.values()),
        "inbox_by_service": inbox,
    }


async def run_totals_match(fs: FaultSystem) -> None:
    """Each completed run's count and total are its lines'; a run that did not complete left no line."""
    runs = await rows(
        fs.databases["payment"],
        "SELECT r.id::text AS id, r.status, r.paid_count, r.total_fen, count(p.id) AS lines, "
        "coalesce(sum(p.amount_fen - p.offset_fen), 0) AS net FROM payment_runs r "
        "LEFT JOIN payments p ON p.run_id = r.id GROUP BY r.id",
    )
    for run in runs:
        if run["status"] == "completed":
            assert (run["paid_count"], run["total_fen"]) == (run["lines"], run["net"]), run
        else:
            assert run["lines"] == 0, run


def figures_of(fs: FaultSystem, wl: Workload, figures: Figures, outcome: dict[str, Any]) -> Figures:
    """The common figures: work done, what was absorbed, how long things took."""
    latencies = wl.latencies()
    figures["applications (exact)"] = outcome["applications"]
    figures["entitlements / payments"] = f"{outcome['entitlements']} / {outcome['payments']}"
    figures["paid (fen)"] = outcome["paid_fen"]
    figures["events on topics"] = outcome["events_on_topics"]
    figures["events processed (inbox rows)"] = outcome["events_processed"]
    figures["duplicates absorbed (inbox conflicts)"] = int(
        fs.metrics.total("subsidy_events_consumed_total", outcome="duplicate")
    )
    figures["messages sent again under the same id"] = outcome["events_republished_same_id"]
    restarts = {
        reason: int(fs.metrics.total("subsidy_consumer_restarts_total", reason=reason))
        for reason in ("stalled", "crashed")
    }
    figures["consumer restarts in-process"] = restarts
    figures["events applied, by replica"] = {
        service: [
            int(fs.metrics.total("subsidy_events_consumed_total", service, replica=index, outcome="applied"))
            for index in range(len(replicas))
        ]
        for service, replicas in fs.replicas.items()
    }
    figures["calls retried on another replica"] = {k: v.failures for k, v in wl.http.items() if v.failures}
    figures["payment runs (ok / not answered)"] = (
        f"{sum(1 for r in wl.runs if r.run)} / {sum(1 for r in wl.runs if not r.run)}"
    )
    if latencies:
        figures["submit→entitled p50 / max (s)"] = f"{statistics.median(latencies):.2f} / {max(latencies):.2f}"
    gap, _ = wl.longest_gap()
    figures["longest gap between completions (s)"] = round(gap, 2)
    processes = sum(len(ps) for ps in fs.replicas.values())
    figures[f"system start, {processes} processes (s)"] = round(fs.started_in, 1)
    figures["workload wall time (s)"] = round(time.monotonic() - wl.started_at, 1)
    return figures
