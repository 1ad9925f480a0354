"""subsidyctl — run, inspect and operate Liangbu on one machine."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from subsidy_shared.auth import Principal, Role, issue_token
from subsidy_shared.bus import ensure_topics
from subsidy_shared.migrations import upgrade_head
from subsidy_shared.settings import ServiceSettings

from subsidyctl import kafka_ops, registry_import
from subsidyctl.catalog import DEFAULT_SERVER, SERVICES, WORKBENCH, workbench_env
from subsidyctl.demo import seed_demo, seed_registry
from subsidyctl.payment_run import pay
from subsidyctl.supervisor import MAX_REPLICAS, ServiceProcess, start_all, supervise, wait_ready

app = typer.Typer(help="Run and operate Liangbu (两补).", no_args_is_help=True)
dlq = typer.Typer(help="Dead-letter topics: list and replay.", no_args_is_help=True)
app.add_typer(dlq, name="dlq")
app.command("import")(registry_import.import_records)
app.command()(pay)
console = Console()

ServerOpt = Annotated[str, typer.Option(envvar="SUBSIDY_DB_SERVER", help="PostgreSQL server URL, no database")]


def _settings() -> ServiceSettings:
    return ServiceSettings(service_name="subsidyctl")


def _service_env(server: str) -> dict[str, str]:
    return {s.database_env: s.database_url(server) for s in SERVICES}


@app.command()
def migrate(server: ServerOpt = DEFAULT_SERVER) -> None:
    """Bring every service database to the newest Alembic revision."""
    for service in SERVICES:
        upgrade_head(str(service.folder), service.database_url(server))
        console.print(f"[green]✓[/] {service.name} database migrated")


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="one of the roles in DESIGN.md §7")],
    region: Annotated[str, typer.Option(help="region code the token's authority covers")],
    sub: Annotated[str, typer.Option(help="subject (user id)")] = "dev-user",
    hours: Annotated[int, typer.Option(min=1, help="lifetime, at most SUBSIDY_JWT_MAX_TTL_SECONDS")] = 12,
) -> None:
    """Mint a development token (dev signing key; refused when SUBSIDY_ENV=prod)."""
    # Read before the settings: prod settings may be incomplete here, and the refusal must be this one.
    if os.environ.get("SUBSIDY_ENV", "").strip().lower() == "prod":
        typer.echo(
            "subsidyctl token is refused when SUBSIDY_ENV=prod: tokens come from the identity provider", err=True
        )
        raise typer.Exit(2)
    settings = _settings()
    ttl = timedelta(hours=hours)
    if ttl.total_seconds() > settings.jwt_max_ttl_seconds:
        raise typer.BadParameter(
            f"the services refuse tokens living over {settings.jwt_max_ttl_seconds} s", param_hint="--hours"
        )
    principal = Principal(sub=sub, role=role, region=region)
    key, algorithm = settings.jwt_signing_key, settings.jwt_algorithm
    print(issue_token(principal, key, algorithm, ttl, issuer=settings.jwt_issuer, audience=settings.jwt_audience))


@app.command()
def up(
    demo: Annotated[bool, typer.Option(help="submit demo applications once the services are ready")] = False,
    server: ServerOpt = DEFAULT_SERVER,
    replicas: Annotated[
        int,
        typer.Option(
            min=1, max=MAX_REPLICAS, envvar="SUBSIDY_REPLICAS", help="processes of each service (one consumer group)"
        ),
    ] = 1,
) -> None:
    """Migrate, start the five services (N replicas each) and the workbench, supervise them; Ctrl-C stops them."""
    migrate(server)
    settings = _settings()
    if replicas > settings.topic_partitions:
        console.print(f"[yellow]{replicas} replicas share {settings.topic_partitions} partitions: some will idle[/]")
    asyncio.run(ensure_topics(settings))
    services = start_all(_service_env(server), replicas=replicas)
    by_name = {p.info.name: p for p in services if p.replica == 0}  # the workbench and the demo use replica 0
    workbench = start_all(workbench_env({name: p.url for name, p in by_name.items()}), (WORKBENCH,))[0]
    processes = [workbench, *services]
    try:
        wait_ready(processes, timeout=60.0 + 30.0 * (replicas - 1))
    except (RuntimeError, TimeoutError) as exc:
        console.print(f"[red]start-up failed:[/] {exc}")
        for p in processes:
            p.stop()
        raise typer.Exit(1) from exc
    if demo:
        try:
            key = _settings().jwt_signing_key
            records = seed_registry(by_name["review"].url, key)
            ids = seed_demo(by_name["intake"].url, key)
            console.print(f"demo: {records} registry records imported, {len(ids)} applications: {', '.join(ids)}")
        except Exception as exc:  # the system is up; a demo failure must not leave orphans behind
            console.print(f"[yellow]demo data not loaded:[/] {exc}")
    console.print(f"workbench (工作台): [bold]{workbench.url}/[/]  (sign in: pick a role and region)")
    console.print(replica_table(services))
    console.print("token: [bold]uv run subsidyctl token --role window_clerk --region 230102001[/]")
    console.print("Ctrl-C stops every service.")
    supervise(processes)


def replica_table(services: list[ServiceProcess]) -> Table:
    """One row per replica: where its API docs and metrics are."""
    table = Table("service", "replica", "API docs", "metrics")
    for p in services:
        table.add_row(p.info.name, str(p.replica), f"{p.url}/docs", f"{p.url}/metrics")
    return table


@app.command()
def topics() -> None:
    """Topics with partitions, end offsets, consumer-group lag and DLQ depth."""
    rows = asyncio.run(kafka_ops.topic_report(_settings()))
    table = Table("topic", "partitions", "messages", "lag by consumer group")
    table.columns[0].no_wrap = True
    for row in rows:
        lag = ", ".join(f"{g}={n}" for g, n in sorted(row.lag_by_group.items())) or "-"
        style = "red" if row.topic.endswith(".dlq") and row.end_offset_total else None
        table.add_row(row.topic, str(row.partitions), str(row.end_offset_total), lag, style=style)
    console.print(table)


@dlq.command("list")
def dlq_list(topic: Annotated[str | None, typer.Option(help="one topic (its DLQ)")] = None) -> None:
    """Every dead letter with its error, original place and attempts (no payload: it holds personal data)."""
    letters = asyncio.run(kafka_ops.read_dead_letters(_settings(), topic))
    table = Table("dlq", "partition", "offset", "from", "attempts", "error")
    for d in letters:
        origin = f"{d.headers.get('dlq.original_topic', '?')}@{d.headers.get('dlq.offset', '?')}"
        table.add_row(d.topic, str(d.partition), str(d.offset), origin, d.headers.get("dlq.attempts", "?"),
                      d.headers.get("dlq.error", ""))  # fmt: skip
    console.print(table)
    console.print(f"{len(letters)} dead letters")


@dlq.command("replay")
def dlq_replay(topic: Annotated[str | None, typer.Option(help="one topic (its DLQ)")] = None) -> None:
    """Send dead letters not yet replayed back to their original topics."""
    count = asyncio.run(kafka_ops.replay_dead_letters(_settings(), topic))
    console.print(f"replayed {count} dead letters")


@app.command()
def seed(intake_url: str = "http://127.0.0.1:8001") -> None:
    """Submit the demo applications to a running intake service."""
    ids = seed_demo(intake_url, _settings().jwt_signing_key)
    console.print(f"{len(ids)} demo applications: {', '.join(ids)}")


def main() -> None:  # pragma: no cover - console entry
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
