"""`subsidyctl import`: send a registry file (JSON lines or CSV) to review-service in parts, with a progress bar.

Each part is one POST /v1/registry/records (one transaction); a CSV part repeats the header. The bad lines
come back numbered within their part and are reported here with their line number in the file. One record
per physical line: a CSV cell with a line break inside quotes is not supported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from subsidy_shared.auth import Principal, Role, issue_token
from subsidy_shared.settings import ServiceSettings

Format = Literal["jsonl", "csv"]
CONTENT_TYPES: dict[Format, str] = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
console = Console()


@dataclass(frozen=True, slots=True)
class Part:
    """Some lines of the file, and how a line number inside the part maps back to the file."""

    text: str
    first_line: int  # the file's line number of the part's first record
    header_lines: int  # 1 for CSV (the repeated header), 0 for JSON lines
    lines: int

    def file_line(self, line_in_part: int) -> int:
        return self.first_line + line_in_part - 1 - self.header_lines


@dataclass
class Summary:
    received: int = 0
    accepted: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def add(self, part: Part, answer: dict[str, Any]) -> None:
        for key in ("received", "accepted", "changed", "unchanged"):
            setattr(self, key, getattr(self, key) + int(answer[key]))
        self.rejected += [(part.file_line(int(r["line"])), str(r["reason"])) for r in answer["rejected"]]


def format_of(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise typer.BadParameter(f"{path.name}: say --format jsonl or csv (the name ends neither .jsonl nor .csv)")


def parts(path: Path, fmt: Format, lines_per_part: int) -> Iterator[Part]:
    """The file in parts of at most `lines_per_part` records (blank lines travel along, keeping the count)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = handle.readline() if fmt == "csv" else ""
        number = 2 if fmt == "csv" else 1
        batch: list[str] = []
        first = number
        for text in handle:
            if not batch:
                first = number
            batch.append(text if text.endswith("\n") else text + "\n")
            number += 1
            if len(batch) == lines_per_part:
                yield Part(header + "".join(batch), first, 1 if header else 0, len(batch))
                batch = []
        if batch:
            yield Part(header + "".join(batch), first, 1 if header else 0, len(batch))


async def send_file(
    client: httpx.AsyncClient,
    path: Path,
    fmt: Format,
    headers: dict[str, str],
    lines_per_part: int,
    on_part: Callable[[Part], None] = lambda part: None,
) -> Summary:
    """POST the file part by part; stops at the first answer that is not a report (auth, size, server)."""
    summary = Summary()
    for part in parts(path, fmt, lines_per_part):
        response = await client.post(
            "/v1/registry/records",
            content=part.text.encode(),
            headers=headers | {"Content-Type": CONTENT_TYPES[fmt]},
        )
        if response.status_code != 200:
            raise RuntimeError(f"lines from {part.first_line}: review-service answered {response.status_code}: "
                               f"{response.text[:500]}")  # fmt: skip
        summary.add(part, response.json())
        on_part(part)
    return summary


def _count_lines(path: Path, fmt: Format) -> int:
    with path.open("rb") as handle:
        total = sum(1 for _ in handle)
    return max(total - (1 if fmt == "csv" else 0), 0)


def _token(token: str | None, role: Role, region: str | None) -> str:
    if token:
        return token
    if region is None:
        raise typer.BadParameter("give --token, or --region (with --role) to mint a development token")
    settings = ServiceSettings(service_name="subsidyctl")
    principal = Principal(sub="subsidyctl-import", role=role, region=region)
    return issue_token(
        principal,
        settings.jwt_signing_key,
        settings.jwt_algorithm,
        timedelta(hours=2),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


def import_records(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="JSON lines or CSV")],
    url: Annotated[str, typer.Option(help="review-service base URL")] = "http://127.0.0.1:8005",
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl or csv; default: from the file name")] = None,
    token: Annotated[str | None, typer.Option(envvar="SUBSIDY_TOKEN", help="bearer token")] = None,
    role: Annotated[Role, typer.Option(help="role of a minted development token")] = Role.OPS,
    region: Annotated[str | None, typer.Option(help="region of a minted development token")] = None,
    part_lines: Annotated[int, typer.Option(min=1, max=200_000, help="records per request")] = 20_000,
    show: Annotated[int, typer.Option(help="bad lines to print (all are counted)")] = 50,
) -> None:
    """Import registry records (certificates, 低保, deaths, …) into review-service; bad lines are listed."""
    chosen: Format = format_of(file) if fmt is None else ("csv" if fmt == "csv" else "jsonl")
    headers = {"Authorization": f"Bearer {_token(token, role, region)}"}
    total = _count_lines(file, chosen)

    async def run() -> Summary:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        async with httpx.AsyncClient(base_url=url, timeout=600) as client:
            with Progress(*columns, console=console) as progress:
                task = progress.add_task(f"importing {file.name}", total=total)
                return await send_file(client, file, chosen, headers, part_lines,
                                       lambda part: progress.advance(task, part.lines))  # fmt: skip

    try:
        summary = asyncio.run(run())
    except (RuntimeError, httpx.HTTPError) as exc:
        console.print(f"[red]import stopped:[/] {exc}")
        raise typer.Exit(2) from exc
    _print(summary, show)
    if summary.rejected:
        raise typer.Exit(1)


def _print(summary: Summary, show: int) -> None:
    table = Table("lines", "accepted", "changed (published)", "unchanged", "rejected")
    table.add_row(*(str(n) for n in (summary.received, summary.accepted, summary.changed, summary.unchanged,
                                      len(summary.rejected))))  # fmt: skip
    console.print(table)
    for line, reason in summary.rejected[:show]:
        console.print(f"  line {line}: {reason}")
    if len(summary.rejected) > show:
        console.print(f"  … and {len(summary.rejected) - show} more")
