"""A steady stream of real work, as the windows, reviewers and county offices would do it, over every replica.

Per person: their registry records through review's import (certificate; 低保 for some), an application with
all its materials at a window (round-robin over intake's replicas), and — once the pre-check recommends what
the records say — the township review, the county federation's verification and civil affairs' bulk approval.
Payment runs per county go on beside. Every call fails over to the next replica and is retried while a fault
lasts; a retried POST that had in fact gone through is recognised (409 with the existing application, a case
already past the step), so the stream never creates work twice on its side.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count, pairwise
from typing import Any

import httpx
import structlog
from subsidy_shared.auth import Role
from subsidy_shared.ids import person_key
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET
from subsidy_shared.workdays import china_date

from tests.conftest import PDF_BYTES, application_body, token_for
from tests.faults.system import FaultSystem, rows

log = structlog.get_logger("faults.workload")

# Four Harbin counties (黑龙江 pays 80 / 100 元 at the floor); one township each is the window and the hukou.
COUNTIES = ("230102", "230103", "230104", "230108")
SUBSIDIES = ("living", "nursing")
OPS = token_for(Role.OPS, "230000", sub="fault-registry-ops")


def this_month() -> str:
    return china_date(datetime.now(UTC)).strftime("%Y-%m")


@dataclass(frozen=True)
class Person:
    """One applicant: grade-1 physical disability (nursing); a 低保 household too for every other one (living)."""

    sequence: int

    @property
    def county(self) -> str:
        return COUNTIES[self.sequence % len(COUNTIES)]

    @property
    def township(self) -> str:
        return f"{self.county}001"

    @property
    def dibao(self) -> bool:
        return self.sequence % 2 == 0

    @property
    def body(self) -> dict[str, Any]:
        return application_body(hukou=self.township, sequence=self.sequence, category=4, grade=1)

    @property
    def id_number(self) -> str:
        return str(self.body["applicant"]["id_number"])

    @property
    def key(self) -> str:
        return person_key(self.id_number, DEV_PERSON_KEY_SECRET)

    @property
    def expected(self) -> dict[str, str]:
        return {"living": "approved" if self.dibao else "refused", "nursing": "approved"}

    @property
    def approved(self) -> set[str]:
        return {s for s, outcome in self.expected.items() if outcome == "approved"}

    def registry_lines(self) -> list[dict[str, Any]]:
        base: dict[str, Any] = {"source": "fault-cdpf", "id_number": self.id_number, "region": self.township}
        card = {"category": 4, "grade": 1, "issued_on": "2020-01-01", "expires_on": "2030-01-01"}
        lines = [base | {"record_id": f"card-{self.sequence}", "record_kind": "certificate", "change": "issued",
                         "facts": card}]  # fmt: skip
        if self.dibao:
            lines.append(base | {"source": "fault-dibao", "record_id": f"dibao-{self.sequence}", "record_kind": "dibao",
                                 "change": "started", "effective_date": "2024-01-01"})  # fmt: skip
        return lines


def bystander_records(first: int, n: int) -> list[dict[str, Any]]:
    """Registry records of people who never apply (a registry import's bulk): sequences whose last three digits
    (500–999) no applicant of a workload of up to 500 people shares, so no ID number is both."""
    assert first + n <= 500
    people = [Person(1_000_500 + first + i) for i in range(n)]
    return [{**line, "source": "fault-bystanders"} for p in people for line in p.registry_lines()]


class Unavailable(RuntimeError):
    """No replica answered within the deadline."""


class Replicas:
    """HTTP over every replica of a service: round-robin, and the next one when a replica is down or failing."""

    def __init__(self, fs: FaultSystem, service: str, client: httpx.AsyncClient) -> None:
        self.fs = fs
        self.service = service
        self.client = client
        self._turn = count()
        self.failures = 0  # transport errors and 5xx answers seen (then retried)
        self.by_replica: dict[str, int] = {}

    async def request(self, method: str, path: str, *, within: float = 90.0, **kwargs: Any) -> httpx.Response:
        """The first answer below 500 from any replica, trying the next one for up to `within` seconds."""
        deadline = time.monotonic() + within
        last: str = ""
        while True:
            urls = self.fs.urls(self.service)
            url = urls[next(self._turn) % len(urls)]
            try:
                response = await self.client.request(method, url + path, **kwargs)
                if response.status_code < 500:
                    self.by_replica[url] = self.by_replica.get(url, 0) + 1
                    return response
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            self.failures += 1
            if time.monotonic() > deadline:
                raise Unavailable(f"{self.service} {method} {path}: {last}")
            await asyncio.sleep(0.2)


@dataclass
class Submitted:
    person: Person
    application_id: str
    accepted_at: float  # monotonic, when intake answered 201
    completed_at: float | None = None  # when payment held an entitlement for every approved subsidy


@dataclass
class PaymentRunRecord:
    county: str
    month: str
    run: dict[str, Any] | None  # the 201 body, or None when the call did not come back
    error: str | None = None


@dataclass
class Workload:
    fs: FaultSystem
    client: httpx.AsyncClient
    people: list[Person]
    rate: float = 2.0  # applications a second
    registry_batch: int = 5
    pay_every: float | None = 12.0  # a payment round of every county this often while streaming
    submitted: dict[str, Submitted] = field(default_factory=dict)
    runs: list[PaymentRunRecord] = field(default_factory=list)
    accept_times: list[float] = field(default_factory=list)  # every 201 of POST /v1/applications
    errors: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.http = {name: Replicas(self.fs, name, self.client) for name in self.fs.replicas}
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def of(cls, fs: FaultSystem, client: httpx.AsyncClient, first: int, n: int, **kwargs: Any) -> Workload:
        """`n` people from sequence `first` (a multiple of 1000: their ID numbers' last digits are 000…n-1)."""
        assert first % 1000 == 0 and n <= 500
        return cls(fs, client, [Person(first + i) for i in range(n)], **kwargs)

    # ---- what the test sees ----------------------------------------------------------------------------

    @property
    def application_ids(self) -> list[str]:
        return list(self.submitted)

    def completed(self) -> list[Submitted]:
        return sorted((s for s in self.submitted.values() if s.completed_at), key=lambda s: s.completed_at or 0)

    def completion_times(self) -> list[float]:
        return [s.completed_at for s in self.completed() if s.completed_at is not None]

    def longest_gap(self, since: float | None = None, until: float | None = None) -> tuple[float, float]:
        """(seconds, at) of the longest pause between consecutive completions inside [since, until]."""
        times = [t for t in self.completion_times() if (since is None or t >= since) and (until is None or t <= until)]
        gaps = [(b - a, a) for a, b in pairwise(times)]
        return max(gaps, default=(0.0, 0.0))

    def accepted_between(self, start: float, end: float) -> int:
        return sum(1 for t in self.accept_times if start <= t <= end)

    def first_completion_after(self, moment: float) -> float | None:
        return next((t for t in self.completion_times() if t > moment), None)

    def latencies(self) -> list[float]:
        return sorted(s.completed_at - s.accepted_at for s in self.submitted.values() if s.completed_at)

    # ---- running -----------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Workload]:
        """The reviewers, the completion watcher, the metrics scraper and the payment rounds, in the background."""
        loops: list[Callable[[], Awaitable[None]]] = [self._approve_forever, self._watch_forever, self._scrape_forever]
        if self.pay_every:
            loops.append(self._pay_forever)
        self._tasks = [asyncio.create_task(self._guard(loop), name=loop.__name__) for loop in loops]
        try:
            yield self
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self.fs.metrics.scrape(self.client, self.fs.replicas)

    async def _guard(self, loop: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                await loop()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a fault may break any call; the loop goes on
                self.errors.append(f"{loop.__name__}: {type(exc).__name__}: {exc}"[:300])
                await asyncio.sleep(0.5)

    async def submit_all(self) -> None:
        """Every person, at `rate` a second: their registry records first (a batch at a time), then the window."""
        interval = 1.0 / self.rate
        next_at = time.monotonic()
        for first in range(0, len(self.people), self.registry_batch):
            batch = self.people[first : first + self.registry_batch]
            await self.import_records([line for p in batch for line in p.registry_lines()])
            for person in batch:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
                await self.submit(person)

    async def settle(self, submitting: asyncio.Task[None], within: float = 150.0) -> None:
        """The stream ends: every application submitted and completed, then a last payment round for all."""
        await submitting
        await self.wait_completed(within=within)
        for record in await self.pay_round():
            assert record.run is not None, record.error

    async def wait_submitted(self, n: int, within: float = 120.0) -> None:
        deadline = time.monotonic() + within
        while len(self.submitted) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.submitted)} of {n} applications submitted in {within}s")
            await asyncio.sleep(0.1)

    async def wait_completed(self, n: int | None = None, within: float = 120.0) -> None:
        """Until `n` (default: every person) have an entitlement for each approved subsidy."""
        want = len(self.people) if n is None else n
        deadline = time.monotonic() + within
        while len(self.completed()) < want:
            if time.monotonic() > deadline:
                stuck = await self.where_stuck()
                raise AssertionError(f"{len(self.completed())} of {want} applications completed in {within}s: {stuck}")
            await asyncio.sleep(0.25)

    async def import_records(self, lines: list[dict[str, Any]]) -> dict[str, Any]:
        text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        response = await self.http["review"].request(
            "POST", "/v1/registry/records", content=text.encode(),
            headers=OPS | {"Content-Type": "application/x-ndjson"},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        report: dict[str, Any] = response.json()
        assert report["rejected"] == [], report
        return report

    async def submit(self, person: Person) -> str:
        intake = self.http["intake"]
        clerk = token_for(Role.WINDOW_CLERK, person.township, sub=f"clerk-{person.county}")
        response = await intake.request("POST", "/v1/applications", json=person.body, headers=clerk)
        if response.status_code == 201:
            application_id = str(response.json()["id"])
        elif response.status_code == 409 and "existing_application_id" in response.text:
            # The first attempt went through but its answer was lost with the replica: that is ours.
            application_id = str(response.json()["existing_application_id"])
        else:
            raise AssertionError(f"submit {person.sequence}: {response.status_code} {response.text}")
        accepted = time.monotonic()
        self.accept_times.append(accepted)
        self.submitted.setdefault(application_id, Submitted(person, application_id, accepted))
        await self._hand_in(application_id, clerk)
        return application_id

    async def _hand_in(self, application_id: str, clerk: dict[str, str]) -> None:
        intake = self.http["intake"]
        for _ in range(10):
            detail = await intake.request("GET", f"/v1/applications/{application_id}", headers=clerk)
            assert detail.status_code == 200, detail.text
            missing = detail.json()["missing_materials"]
            if not missing:
                return
            for kind in missing:
                uploaded = await intake.request(
                    "POST", f"/v1/applications/{application_id}/materials", data={"kind": kind},
                    files={"file": (f"{kind}.pdf", PDF_BYTES, "application/pdf")}, headers=clerk,
                )  # fmt: skip
                assert uploaded.status_code in (201, 409), uploaded.text
        raise AssertionError(f"materials of {application_id} never complete")

    # ---- the reviewers ---------------------------------------------------------------------------------

    async def _approve_forever(self) -> None:
        while True:
            await self.approve_round()
            await asyncio.sleep(0.4)

    async def approve_round(self) -> None:
        eligibility = self.http["eligibility"]
        for county in COUNTIES:
            township = f"{county}001"
            reviewer = token_for(Role.TOWNSHIP_REVIEWER, township, sub=f"reviewer-{county}")
            for case in await self._worklist(reviewer, "township_review"):
                await self._act(case, "review", reviewer)
            federation = token_for(Role.COUNTY_DISABILITY_FEDERATION, county, sub=f"cdpf-{county}")
            for case in await self._worklist(federation, "county_verification"):
                await self._act(case, "verify", federation)
            civil = token_for(Role.COUNTY_CIVIL_AFFAIRS, county, sub=f"civil-{county}")
            ready = [c["application_id"] for c in await self._worklist(civil, "county_approval")]
            if ready:
                response = await eligibility.request(
                    "POST", "/v1/cases/approvals", json={"application_ids": ready}, headers=civil
                )
                assert response.status_code == 200, response.text

    async def _worklist(self, headers: dict[str, str], step: str) -> list[dict[str, Any]]:
        response = await self.http["eligibility"].request(
            "GET", "/v1/cases", params={"step": step, "limit": 500}, headers=headers
        )
        assert response.status_code == 200, response.text
        mine = []
        for case in response.json()["items"]:
            submitted = self.submitted.get(case["application_id"])
            # Only once the registry records are in: before, the pre-check refuses what it cannot see.
            if submitted is not None and case["recommended"] == submitted.person.expected:
                mine.append(case)
        return mine

    async def _act(self, case: dict[str, Any], step: str, headers: dict[str, str]) -> None:
        path = f"/v1/cases/{case['application_id']}/{step}"
        response = await self.http["eligibility"].request("POST", path, json={"outcome": "pass"}, headers=headers)
        # 409: the case moved on meanwhile (a retried call that had gone through).
        assert response.status_code in (200, 409), (step, response.status_code, response.text)

    # ---- watching, paying, scraping ---------------------------------------------------------------------

    async def _watch_forever(self) -> None:
        while True:
            await self.watch_once()
            await asyncio.sleep(0.2)

    async def watch_once(self) -> None:
        waiting = [s for s in self.submitted.values() if s.completed_at is None]
        if not waiting:
            return
        found = await rows(
            self.fs.databases["payment"],
            "SELECT application_id::text AS id, array_agg(subsidy) AS subsidies FROM entitlements "
            "WHERE application_id = ANY(CAST(:ids AS uuid[])) GROUP BY 1",
            ids=[s.application_id for s in waiting],
        )
        now = time.monotonic()
        for row in found:
            submitted = self.submitted[row["id"]]
            if set(row["subsidies"]) >= submitted.person.approved:
                submitted.completed_at = now

    async def _pay_forever(self) -> None:
        assert self.pay_every is not None
        while True:
            await asyncio.sleep(self.pay_every)
            await self.pay_round(within=20.0)

    async def pay_round(self, within: float = 90.0, month: str | None = None) -> list[PaymentRunRecord]:
        """A run for each county of this month; a call that does not come back is recorded, not raised."""
        done = []
        for county in COUNTIES:
            record = await self.pay(county, month or this_month(), within=within)
            done.append(record)
        return done

    async def pay(self, county: str, month: str, within: float = 90.0) -> PaymentRunRecord:
        civil = token_for(Role.COUNTY_CIVIL_AFFAIRS, county, sub=f"civil-{county}")
        try:
            response = await self.http["payment"].request(
                "POST", "/v1/payment-runs", json={"region": county, "month": month}, headers=civil, within=within
            )
        except Unavailable as exc:
            record = PaymentRunRecord(county, month, None, str(exc))
        else:
            assert response.status_code == 201, response.text
            record = PaymentRunRecord(county, month, response.json())
        self.runs.append(record)
        return record

    async def _scrape_forever(self) -> None:
        while True:
            await self.fs.metrics.scrape(self.client, self.fs.replicas)
            await asyncio.sleep(1.0)

    async def where_stuck(self) -> dict[str, Any]:
        """For a failure message: how far the applications not yet completed got."""
        waiting = [s.application_id for s in self.submitted.values() if s.completed_at is None]
        if not waiting:
            return {}
        steps = await rows(
            self.fs.databases["eligibility"],
            "SELECT step, count(*) AS n FROM cases WHERE application_id = ANY(CAST(:ids AS uuid[])) GROUP BY step",
            ids=waiting,
        )
        routed = await self.fs.databases["routing"].scalar(
            "SELECT count(*) FROM cases WHERE application_id = ANY(CAST(:ids AS uuid[]))", ids=waiting
        )
        return {"waiting": len(waiting), "routed": routed, "eligibility_steps": {r["step"]: r["n"] for r in steps},
                "dead_letters": await self.fs.dead_letters(), "loop_errors": self.errors[-5:]}  # fmt: skip
