"""How fast the workbench's main pages answer: each GET with a signed-in session cookie, N times, p50 / p95.

Prints numbers; asserts nothing (the target is p95 ≤ 300 ms with the demo data). Runs against a running
`make up` (workbench :8000), or any workbench given by --url (the e2e system's is :18000). With --start and nothing
answering at --url, it starts `subsidyctl up --demo` itself, waits for the demo data, and stops it afterwards.

    uv run python -m bench.workbench_pages --requests 50
    uv run python -m bench.workbench_pages --url http://127.0.0.1:18000 --requests 20
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

console = Console(width=None if sys.stdout.isatty() else 150)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
APPLICATION_LINK = re.compile(r'href="/window/applications/([0-9a-f-]{36})"')
CASE_LINK = re.compile(r'href="/review/cases/([0-9a-f-]{36})"')
LOG = Path(__file__).resolve().parents[1] / ".infra" / "bench-workbench-up.log"
HUKOU = "510104001"  # the demo's Chengdu applicant, filed at the Harbin window
REQUIREMENTS = f"hukou_region={HUKOU}&subsidies=living&subsidies=nursing&proxy=1"


@dataclass
class Persona:
    """One signed-in official and the pages they work in (`{application}` / `{case}`: an id found on a page)."""

    role: str
    region: str
    pages: list[str]
    find: dict[str, tuple[str, re.Pattern[str]]] = field(default_factory=dict)  # name → (page, link pattern)


PERSONAS = [
    Persona(
        "window_clerk",
        "230102001",
        [
            "/",
            f"/window/requirements?{REQUIREMENTS}",
            f"/window/requirements/print?{REQUIREMENTS}",
            "/window/applications/new",
            "/window/applications",
            "/window/applications/{application}",
            "/window/applications/{application}/receipt",
            "/lookup",
        ],
        {"application": ("/window/applications", APPLICATION_LINK)},
    ),
    Persona(
        "township_reviewer",
        "510104001",
        ["/review/worklist?step=township_review", "/review/cases/{case}"],
        {"case": ("/review/worklist?step=township_review", CASE_LINK)},
    ),
    Persona(
        "county_civil_affairs",
        "510104",
        [
            "/review/worklist?step=county_approval",
            "/supervision/overdue?region=510104",
            "/supervision/dashboard?region=510104",
        ],
    ),
]


@dataclass
class Timing:
    persona: str
    path: str
    milliseconds: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, status: int, elapsed: float) -> None:
        self.milliseconds.append(elapsed * 1000)
        self.statuses[status] = self.statuses.get(status, 0) + 1


def sign_in(client: httpx.Client, role: str, region: str) -> None:
    """The development sign-in, as a browser does it: the form's CSRF token, then POST; the cookie stays."""
    page = client.get("/login")
    page.raise_for_status()
    found = CSRF.search(page.text)
    if found is None:
        raise RuntimeError("the sign-in page has no CSRF token")
    form = {"csrf_token": found.group(1), "role": role, "region": region, "name": f"bench-{role}"}
    answer = client.post("/login", data=form)
    if answer.status_code != 303:
        raise RuntimeError(f"signing in as {role} {region}: {answer.status_code}")


def resolve(client: httpx.Client, persona: Persona) -> list[str]:
    """The persona's pages with ids filled in from the pages that list them; a page without an id is dropped."""
    ids: dict[str, str] = {}
    for name, (listing, pattern) in persona.find.items():
        found = pattern.search(client.get(listing).text)
        if found:
            ids[name] = found.group(1)
        else:
            console.print(f"[yellow]{persona.role}: no {name} linked from {listing}; its pages are not timed[/]")
    paths = []
    for path in persona.pages:
        try:
            paths.append(path.format(**ids))
        except KeyError:
            continue
    return paths


def measure(url: str, requests: int) -> list[Timing]:
    plan: list[tuple[httpx.Client, Timing]] = []
    clients: list[httpx.Client] = []
    try:
        for persona in PERSONAS:
            client = httpx.Client(base_url=url, timeout=30)
            clients.append(client)
            sign_in(client, persona.role, persona.region)
            for path in resolve(client, persona):
                client.get(path)  # warm-up, not counted
                plan.append((client, Timing(persona.role, path)))
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("GET pages", total=len(plan) * requests)
            for _ in range(requests):  # round-robin: every page sees the same conditions
                for client, timing in plan:
                    started = time.perf_counter()
                    response = client.get(timing.path)
                    timing.add(response.status_code, time.perf_counter() - started)
                    progress.advance(task)
    finally:
        for client in clients:
            client.close()
    return [timing for _, timing in plan]


def percentile(values: list[float], share: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1]


def report(timings: list[Timing], requests: int) -> None:
    table = Table("role", "page", "n", "p50 ms", "p95 ms", "max ms", "status")
    for timing in timings:
        ms = timing.milliseconds
        statuses = ", ".join(f"{status}×{count}" for status, count in sorted(timing.statuses.items()))
        p95 = percentile(ms, 95)
        style = "red" if p95 > 300 or set(timing.statuses) != {200} else None
        table.add_row(
            timing.persona,
            timing.path,
            str(len(ms)),
            f"{percentile(ms, 50):.1f}",
            f"{p95:.1f}",
            f"{max(ms):.1f}",
            statuses,
            style=style,
        )
    console.print(table)
    everything = [m for t in timings for m in t.milliseconds]
    if everything:
        console.print(
            f"{len(timings)} pages × {requests} GETs: p50 {percentile(everything, 50):.1f} ms, "
            f"p95 {percentile(everything, 95):.1f} ms over all (target: every page p95 ≤ 300 ms)"
        )


def answering(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def running_system(url: str, start: bool) -> Iterator[None]:
    """Use what answers at `url`; else, with `start`, run `subsidyctl up --demo` for the time of the bench."""
    if answering(url):
        yield
        return
    if not start:
        console.print(f"[red]nothing answers at {url}[/]: run `make up` first, or pass --start")
        raise typer.Exit(1)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    console.print(f"starting `subsidyctl up --demo` for the benchmark (its output: {LOG})…")
    with LOG.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "subsidyctl", "up", "--demo"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "SUBSIDY_LOG_LEVEL": "WARNING"},
            start_new_session=True,
        )
    try:
        try:
            _wait(lambda: answering(url) and _demo_loaded(url), process, within=180)
        except (RuntimeError, TimeoutError):
            console.print(LOG.read_text(errors="replace")[-3000:], markup=False)
            raise
        yield
    finally:
        process.send_signal(signal.SIGTERM)  # the supervisor stops every service it started
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _demo_loaded(url: str) -> bool:
    with httpx.Client(base_url=url, timeout=10) as client:
        sign_in(client, "window_clerk", "230102001")
        return bool(APPLICATION_LINK.search(client.get("/window/applications").text))


def _wait(ready: Callable[[], bool], process: subprocess.Popen[bytes], within: float) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            if ready():
                return
        except (httpx.HTTPError, RuntimeError):
            pass
        if process.poll() is not None:
            raise RuntimeError(f"subsidyctl up exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the system was not up with its demo data within {within:.0f} s")
        time.sleep(1)


def main(
    url: Annotated[str, typer.Option(help="the workbench's base URL")] = "http://127.0.0.1:8000",
    requests: Annotated[int, typer.Option("--requests", "-n", min=1, help="GETs per page")] = 50,
    start: Annotated[bool, typer.Option(help="start `subsidyctl up --demo` when nothing answers at --url")] = False,
) -> None:
    with running_system(url.rstrip("/"), start):
        timings = measure(url.rstrip("/"), requests)
    report(timings, requests)


if __name__ == "__main__":
    typer.run(main)
