"""The service shell every FastAPI service shares: lifespan, errors, health, readiness, metrics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_fastapi_instrumentator import Instrumentator
from pydantic import BaseModel

from subsidy_shared import audit
from subsidy_shared.bus import ConsumerRunner, Handler, ensure_topics, make_producer
from subsidy_shared.db import make_engine, make_sessionmaker
from subsidy_shared.errors import Forbidden, install_error_handlers, problem
from subsidy_shared.limits import BodyLimit
from subsidy_shared.logs import configure_logging
from subsidy_shared.openapi import install_openapi
from subsidy_shared.outbox import OutboxRelay
from subsidy_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)


# A service's own periodic work (schedulers, pushers), started with the relay and cancelled on shutdown.
BackgroundTask = Callable[[FastAPI], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Subscriptions:
    """What a service consumes: topics and one handler per event type."""

    topics: Sequence[str] = ()
    handlers: Mapping[str, Handler] = field(default_factory=dict)


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    routers: Sequence[APIRouter],
    subscriptions: Subscriptions = Subscriptions(),
    background: Sequence[BackgroundTask] = (),
    description: str = "",
) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level)
        engine = make_engine(settings.database_url)
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.consumers = []
        tasks: list[asyncio.Task[None]] = []
        # Without background tasks (API tests) there is no producer: nothing may be sent.
        producer = make_producer(settings) if settings.run_background_tasks else None
        app.state.producer = producer
        try:
            if producer is not None:
                await producer.start()
                await ensure_topics(settings)
                tasks = _start_background(app, settings, subscriptions)
                tasks += [asyncio.create_task(work(app), name=work.__name__) for work in background]
            log.info("service.started", title=title)
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if producer is not None:
                await producer.stop()
            await engine.dispose()

    app = FastAPI(title=title, description=description, version="1", lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    app.add_exception_handler(Forbidden, _audited_denial)  # type: ignore[arg-type]
    app.add_middleware(BodyLimit, max_json_bytes=settings.max_json_bytes, max_upload_bytes=settings.max_upload_bytes)
    app.include_router(_health_router())
    for router in routers:
        app.include_router(router)
    Instrumentator(excluded_handlers=["/metrics", "/healthz", "/readyz"]).instrument(app).expose(
        app, include_in_schema=False
    )
    install_openapi(app)
    return app


def _start_background(
    app: FastAPI, settings: ServiceSettings, subscriptions: Subscriptions
) -> list[asyncio.Task[None]]:
    relay = OutboxRelay(
        app.state.sessionmaker,
        app.state.producer,
        service=settings.service_name,
        topic_prefix=settings.topic_prefix,
        batch_size=settings.outbox_batch_size,
        poll_seconds=settings.outbox_poll_seconds,
    )
    tasks = [asyncio.create_task(relay.run(), name="outbox-relay")]
    if subscriptions.topics:
        runner = ConsumerRunner(
            settings,
            app.state.sessionmaker,
            app.state.producer,
            subscriptions.handlers,
            list(subscriptions.topics),
        )
        app.state.consumers.append(runner)
        tasks.append(asyncio.create_task(runner.supervise(), name="consumer"))
    return tasks


async def _audited_denial(request: Request, exc: Forbidden) -> JSONResponse:
    """Every 403 leaves an audit row, in its own transaction: the request's own was rolled back."""
    principal = getattr(request.state, "principal", None)
    sessionmaker = getattr(request.app.state, "sessionmaker", None)
    if principal is not None and sessionmaker is not None:
        try:
            async with sessionmaker() as session, session.begin():
                await audit.record(
                    session,
                    principal,
                    f"denied {request.method}",
                    "http",
                    request.url.path,
                    allowed=False,
                    after={"reason": getattr(exc, "reason", exc.message)},
                )
        except Exception:
            log.exception("audit.denial_not_recorded", path=request.url.path)
    return problem(exc.status, exc.title, exc.message, request.url.path, exc.errors, **exc.extra)


class ConsumerState(BaseModel):
    group: str
    replica: str | None
    joined: bool
    stalled: bool
    partitions: list[str]


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, bool]
    consumers: list[ConsumerState] = []


class Liveness(BaseModel):
    status: str


def _consumer_states(consumers: Sequence[ConsumerRunner]) -> list[ConsumerState]:
    return [
        ConsumerState(
            group=c.group,
            replica=c.settings.replica_id,
            joined=c.membership.joined,
            stalled=c.stalled(),
            partitions=c.membership.describe(),
        )
        for c in consumers
    ]


def _health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", response_model=Liveness, responses={503: {"model": Liveness, "description": "wedged"}})
    async def healthz(request: Request) -> JSONResponse:
        """Liveness: the process answers and no consumer is wedged past an in-process restart."""
        wedged = any(c.wedged() for c in request.app.state.consumers)
        return JSONResponse({"status": "wedged" if wedged else "ok"}, status_code=503 if wedged else 200)

    @router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness, "description": "not ready"}})
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: the database and the broker answer, and every consumer has joined its group and holds
        its assignment (possibly none) without stalling. Lists the partitions this replica holds."""
        consumers: list[ConsumerRunner] = request.app.state.consumers
        checks = {"database": await _database_ok(request), "kafka": await _kafka_ok(request)}
        checks["consumers"] = all(c.ready() for c in consumers)
        ready = all(checks.values())
        body = Readiness(ready=ready, checks=checks, consumers=_consumer_states(consumers))
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    return router


async def _database_ok(request: Request) -> bool:
    try:
        async with request.app.state.sessionmaker() as session:
            await asyncio.wait_for(session.execute(sa.text("SELECT 1")), timeout=2)
        return True
    except Exception:
        return False


async def _kafka_ok(request: Request) -> bool:
    settings: ServiceSettings = request.app.state.settings
    if not settings.run_background_tasks:
        return True
    try:
        await asyncio.wait_for(request.app.state.producer.client.fetch_all_metadata(), timeout=2)
        return True
    except Exception:
        return False
