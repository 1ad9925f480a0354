"""Fixtures on real parts: a PostgreSQL database per service (fresh per run), migrated once."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import date
from typing import Any, TypeVar

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from subsidy_shared.auth import Principal, Role, issue_token
from subsidy_shared.db import make_engine, make_sessionmaker
from subsidy_shared.events import ApplicationSubmitted, ApplicationSubmittedData
from subsidy_shared.ids import compose_id_number, person_key
from subsidy_shared.migrations import upgrade_head
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET, DEV_SIGNING_KEY
from subsidyctl.catalog import SERVICES, ServiceInfo

SERVER = os.environ.get("SUBSIDY_TEST_DB_SERVER", "postgresql+asyncpg://subsidy:subsidy@127.0.0.1:5432")
KAFKA = os.environ.get("SUBSIDY_TEST_KAFKA", "127.0.0.1:9092")
# Two checkouts testing on one server at once (a CI run beside a working copy) keep apart by this prefix.
DB_PREFIX = os.environ.get("SUBSIDY_TEST_DB_PREFIX", "")
# The fault suite (tests/faults: kills brokers and databases, minutes long) runs only when asked: `make test-faults`.
collect_ignore = [] if os.environ.get("SUBSIDY_FAULT_SUITE") else ["faults"]
T = TypeVar("T")


async def recreate_database(name: str, server: str = SERVER) -> None:
    """Drop and create `name` on the test server, or on `server` (the role has CREATEDB)."""
    dsn = server.replace("+asyncpg", "") + "/postgres"
    try:
        conn = await asyncpg.connect(dsn)
    except OSError as exc:  # the suite must not pass quietly without its database
        raise RuntimeError(f"PostgreSQL is not reachable at {server}: run `make infra` ({exc})") from exc
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def fresh_migrated_database(service: ServiceInfo, name: str, server: str = SERVER) -> str:
    """A new database `name` for `service` on the test server (or on `server`), at the newest revision."""
    await recreate_database(name, server)
    url = service.database_url(server, name)
    await asyncio.to_thread(upgrade_head, str(service.folder), url)
    return url


def service_info(name: str) -> ServiceInfo:
    return next(s for s in SERVICES if s.name == name)


async def truncate_all(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        tables = (
            await conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")
            )
        ).scalars()
        names = ", ".join(f'"{t}"' for t in tables)
        if names:
            await conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


class ServiceDatabase:
    """A migrated test database of one service; emptied after every test that used it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=5)
        self.sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(self.engine)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(sa.text(sql), params)).scalar()


async def concurrently(db: ServiceDatabase, *rounds: Callable[[AsyncSession], Awaitable[T]]) -> list[T]:
    """Each round in its own session and transaction, all begun before any works: replicas at the same moment.

    Each round commits on its own, so one that waits for another's lock is not waiting for this helper."""
    started = asyncio.Barrier(len(rounds))

    async def one(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with db.sessionmaker() as session, session.begin():
            await session.execute(sa.text("SELECT 1"))
            await started.wait()
            return await work(session)

    return list(await asyncio.gather(*(one(work) for work in rounds)))


async def while_uncommitted(
    db: ServiceDatabase,
    work: Callable[[AsyncSession], Awaitable[object]],
    meanwhile: Callable[[], Coroutine[Any, Any, T]],
    settle: float = 0.2,
) -> T:
    """`work` in a transaction held open while `meanwhile` (another replica) starts and runs as far as it can;
    then the commit, and `meanwhile`'s result."""
    async with db.sessionmaker() as session, session.begin():
        await work(session)
        other = asyncio.create_task(meanwhile())
        await asyncio.sleep(settle)
    return await other


def _database_fixture(name: str) -> Callable[..., Any]:
    @pytest.fixture(scope="session")
    async def _db() -> AsyncIterator[ServiceDatabase]:
        url = await fresh_migrated_database(service_info(name), f"{DB_PREFIX}test_{name}")
        db = ServiceDatabase(url)
        yield db
        await db.engine.dispose()

    return _db


intake_db = _database_fixture("intake")
routing_db = _database_fixture("routing")
eligibility_db = _database_fixture("eligibility")
payment_db = _database_fixture("payment")
review_db = _database_fixture("review")


def token_for(role: Role, region: str, sub: str = "tester") -> dict[str, str]:
    token = issue_token(Principal(sub=sub, role=role, region=region), DEV_SIGNING_KEY)
    return {"Authorization": f"Bearer {token}"}


def application_body(
    *,
    hukou: str = "510104001",
    sequence: int = 1,
    category: int = 4,
    grade: int = 1,
    subsidies: tuple[str, ...] = ("living", "nursing"),
) -> dict[str, Any]:
    """A valid application; `sequence` makes a different person."""
    born = date(1950 + sequence % 50, 1 + sequence % 12, 1 + sequence % 28)
    id_number = compose_id_number(hukou[:6], born, sequence)
    return {
        "applicant": {"id_number": id_number, "name": "张小三", "phone": "13800000000"},
        "hukou_region": hukou,
        "certificate_number": f"{id_number}{category}{grade}",
        "subsidies": list(subsidies),
        "bank_account": {"bank": "中国农业银行", "account_number": "6228480000000000000", "holder_name": "张小三"},
        "agent": None,
    }


def submitted_event(sequence: int, accepting_region: str = "230102001") -> ApplicationSubmitted:
    """The event intake would send for `application_body(sequence=...)`, for feeding consumers directly."""
    body = application_body(sequence=sequence)
    data = ApplicationSubmittedData.model_validate(
        {
            **body,
            "application_id": uuid.uuid4(),
            "person_key": person_key(body["applicant"]["id_number"], DEV_PERSON_KEY_SECRET),
            "accepting_region": accepting_region,
            "submitted_at": "2026-11-23T02:00:00Z",
        }
    )
    return ApplicationSubmitted(source="test", subject=str(data.application_id), data=data)


# Smallest real files of each accepted type: intake checks the content, not the name.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


async def hand_in_materials(
    client: Any, base: str, application_id: str, headers: dict[str, str], kinds: list[str]
) -> dict[str, Any]:
    """Upload one PDF per kind, as a window would scan them; returns the last upload's answer."""
    answer: dict[str, Any] = {}
    for kind in kinds:
        response = await client.post(
            f"{base}/v1/applications/{application_id}/materials",
            data={"kind": kind},
            files={"file": (f"{kind}.pdf", PDF_BYTES, "application/pdf")},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        answer = response.json()
    return answer


async def submit_complete(client: Any, base: str, headers: dict[str, str], body: dict[str, Any]) -> str:
    """POST an application and hand in everything its checklist asks for; returns its id."""
    response = await client.post(f"{base}/v1/applications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    await hand_in_materials(client, base, created["id"], headers, created["missing_materials"])
    return str(created["id"])
