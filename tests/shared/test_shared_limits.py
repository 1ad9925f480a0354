"""Request-body caps: JSON at `max_json_bytes`, uploads at `max_upload_bytes`; 413 problem+json, the rest unread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Request, UploadFile
from intake_service.app import create_app as create_intake
from intake_service.settings import Settings as IntakeSettings
from payment_service.app import create_app as create_payment
from payment_service.settings import MAX_RETURN_FILE_BYTES
from payment_service.settings import Settings as PaymentSettings
from pydantic import BaseModel
from review_service.settings import Settings as ReviewSettings
from starlette.datastructures import UploadFile as FormFile
from subsidy_shared.app import create_service_app
from subsidy_shared.auth import Role
from subsidy_shared.limits import MULTIPART_ALLOWANCE
from subsidy_shared.settings import ServiceSettings

from tests.conftest import ServiceDatabase, application_body, token_for, truncate_all
from tests.payment.conftest import CIVIL_AFFAIRS, NOW, Api, apply, beneficiary, decided
from tests.payment.test_bankfiles import ABC
from tests.service_api import Clock, app_factory

MiB = 1024 * 1024
JSON_CAP = 1 * MiB
UPLOAD_CAP = 4 * MiB
CHUNK = 64 * 1024
BOUNDARY = "limits-test-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
CLERK = token_for(Role.WINDOW_CLERK, "230102001")


@dataclass
class ChunkedBody:
    """A body sent without Content-Length, one chunk at a time, counting the chunks the server pulled."""

    chunks: list[bytes]
    pulled: int = 0

    async def stream(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.pulled += 1
            yield chunk

    def pulled_bytes(self) -> int:
        return sum(len(c) for c in self.chunks[: self.pulled])


def filler(size: int, head: bytes = b"", tail: bytes = b"") -> list[bytes]:
    """`head`, then `size` bytes of filler in CHUNK-sized pieces, then `tail` (the same filler object reused)."""
    piece = b"0" * CHUNK
    return [c for c in (head, *[piece] * (size // CHUNK), piece[: size % CHUNK], tail) if c]


def multipart(size: int, fields: dict[str, str] | None = None, content_type: str = "text/csv") -> ChunkedBody:
    """A multipart body: the `fields`, then a `file` of `size` bytes."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in (fields or {}).items()
    ]
    head = "".join(parts) + (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return ChunkedBody(filler(size, head.encode(), f"\r\n--{BOUNDARY}--\r\n".encode()))


def json_body(size: int) -> bytes:
    """A JSON note of exactly `size` bytes."""
    return b'{"text":"' + b"x" * (size - len(b'{"text":""}')) + b'"}'


class Note(BaseModel):
    text: str


@dataclass
class Probe:
    """A tiny service with the shared shell: a JSON endpoint and three ways of reading an upload."""

    client: httpx.AsyncClient
    served: list[str] = field(default_factory=list)


def probe_router(served: list[str]) -> APIRouter:
    router = APIRouter()

    @router.post("/notes")
    async def add_note(note: Note) -> dict[str, int]:
        served.append("notes")
        return {"size": len(note.text)}

    @router.post("/files")
    async def add_file(file: UploadFile) -> dict[str, int]:
        served.append("files")
        return {"size": len(await file.read())}

    @router.post("/form")
    async def add_form(request: Request) -> dict[str, int]:
        async with request.form() as form:
            upload = form["file"]
            assert isinstance(upload, FormFile)
            size = len(await upload.read())
        served.append("form")
        return {"size": size}

    @router.post("/raw")
    async def add_raw(request: Request) -> dict[str, int]:
        size = sum([len(chunk) async for chunk in request.stream()])
        served.append("raw")
        return {"size": size}

    return router


@pytest.fixture
async def probe(intake_db: ServiceDatabase) -> AsyncIterator[Probe]:
    settings = ServiceSettings(
        env="test",
        database_url=intake_db.url,
        run_background_tasks=False,
        max_json_bytes=JSON_CAP,
        max_upload_bytes=UPLOAD_CAP,
    )
    served: list[str] = []
    app = create_service_app(settings, title="limits probe", routers=[probe_router(served)])
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client,
    ):
        yield Probe(client, served)


def assert_refused(response: httpx.Response, limit: int) -> None:
    """A 413 in the project's problem+json shape, naming the limit, on a connection that is closed."""
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["connection"] == "close"
    problem: dict[str, Any] = response.json()
    assert (problem["type"], problem["title"], problem["status"]) == ("about:blank", "Content too large", 413)
    assert problem["detail"] == f"the request body may be at most {limit} bytes"
    assert (problem["instance"], problem["limit_bytes"]) == (response.request.url.path, limit)


# ---- the tiny service -------------------------------------------------------------------------------------


async def test_a_json_body_over_the_cap_is_refused_before_the_endpoint_sees_it(probe: Probe) -> None:
    response = await probe.client.post("/notes", json={"text": "x" * (2 * MiB)})

    assert_refused(response, JSON_CAP)
    assert probe.served == []


@pytest.mark.parametrize(
    ("path", "content_type", "limit"),
    [
        pytest.param("/notes", "application/json", JSON_CAP, id="json-body"),
        pytest.param("/files", MULTIPART, UPLOAD_CAP, id="upload-file-parameter"),
        pytest.param("/form", MULTIPART, UPLOAD_CAP, id="request-form"),
        pytest.param("/raw", "text/csv", UPLOAD_CAP, id="request-stream"),
    ],
)
async def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_cap_and_the_rest_is_not_read(
    probe: Probe, path: str, content_type: str, limit: int
) -> None:
    body = multipart(2 * limit) if content_type == MULTIPART else ChunkedBody(filler(2 * limit))

    response = await probe.client.post(path, content=body.stream(), headers={"Content-Type": content_type})

    assert_refused(response, limit)
    assert "content-length" not in response.request.headers
    assert limit < body.pulled_bytes() <= limit + 2 * CHUNK  # the chunk that crossed the cap, and no more
    assert body.pulled < len(body.chunks)
    assert probe.served == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("size", "status"), [(JSON_CAP, 200), (JSON_CAP + 1, 413)], ids=["at-the-cap", "one-over"])
async def test_a_json_body_up_to_the_cap_is_accepted_and_one_byte_more_is_not(
    probe: Probe, chunked: bool, size: int, status: int
) -> None:
    content = json_body(size)
    sent: bytes | AsyncIterator[bytes] = (
        ChunkedBody([content[:CHUNK], content[CHUNK:]]).stream() if chunked else content
    )

    response = await probe.client.post("/notes", content=sent, headers={"Content-Type": "application/json"})

    assert response.status_code == status, response.text
    assert probe.served == (["notes"] if status == 200 else [])


async def test_an_upload_over_the_json_cap_but_under_the_upload_cap_is_accepted(probe: Probe) -> None:
    response = await probe.client.post(
        "/files", files={"file": ("scan.pdf", b"%PDF" + b"0" * (2 * MiB), "application/pdf")}
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"size": 2 * MiB + 4}


async def test_a_body_of_another_type_is_held_to_the_json_cap(probe: Probe) -> None:
    response = await probe.client.post(
        "/raw", content=b"a=" + b"0" * (2 * MiB), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert_refused(response, JSON_CAP)
    assert probe.served == []


def test_each_service_caps_uploads_just_above_its_own_file_limit() -> None:
    intake, review = IntakeSettings(materials_max_bytes=4096), ReviewSettings(import_max_bytes=2048)

    assert ServiceSettings().max_upload_bytes == ServiceSettings().max_json_bytes == JSON_CAP
    assert IntakeSettings().max_upload_bytes == IntakeSettings().materials_max_bytes + MULTIPART_ALLOWANCE
    assert (intake.max_upload_bytes, review.max_upload_bytes) == (
        4096 + MULTIPART_ALLOWANCE,
        2048 + MULTIPART_ALLOWANCE,
    )
    assert ReviewSettings().max_upload_bytes == 32 * MiB + MULTIPART_ALLOWANCE
    assert PaymentSettings().max_upload_bytes == MAX_RETURN_FILE_BYTES + MULTIPART_ALLOWANCE
    assert IntakeSettings(max_upload_bytes=8192).max_upload_bytes == 8192  # set on its own, it is kept


# ---- the services' upload endpoints -----------------------------------------------------------------------


@pytest.fixture
async def intake(intake_db: ServiceDatabase) -> AsyncIterator[httpx.AsyncClient]:
    app = create_intake(IntakeSettings(env="test", database_url=intake_db.url, run_background_tasks=False))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client,
    ):
        yield client
    await truncate_all(intake_db.engine)


async def test_a_material_over_the_limit_is_refused_without_reading_it_whole(
    intake: httpx.AsyncClient, intake_db: ServiceDatabase
) -> None:
    created = (await intake.post("/v1/applications", json=application_body(sequence=41), headers=CLERK)).json()
    settings = IntakeSettings()
    body = multipart(settings.materials_max_bytes + MiB, {"kind": "id_card"}, "application/pdf")

    response = await intake.post(
        f"/v1/applications/{created['id']}/materials",
        content=body.stream(),
        headers=CLERK | {"Content-Type": MULTIPART},
    )

    assert_refused(response, settings.max_upload_bytes)
    assert body.pulled_bytes() <= settings.max_upload_bytes + 2 * CHUNK
    assert body.pulled < len(body.chunks)
    assert await intake_db.scalar("SELECT count(*) FROM materials") == 0


@pytest.fixture
async def payment(payment_db: ServiceDatabase) -> AsyncIterator[Api]:
    async with app_factory(create_payment, PaymentSettings, Api, payment_db, Clock(NOW)) as build:
        yield await build(max_upload_bytes=64 * 1024)  # a small cap keeps the test fast
    await truncate_all(payment_db.engine)


async def test_a_return_file_over_the_cap_is_refused_unread_and_nothing_is_reconciled(
    payment: Api, payment_db: ServiceDatabase
) -> None:
    await apply(payment_db, decided(beneficiary(1), submitted="2026-11-02"))
    run = await payment.run("2026-11")
    body = multipart(256 * 1024, {"bank": ABC})

    response = await payment.client.post(
        f"/v1/payment-runs/{run['id']}/reconciliation",
        content=body.stream(),
        headers=CIVIL_AFFAIRS | {"Content-Type": MULTIPART},
    )

    assert_refused(response, 64 * 1024)
    assert body.pulled < len(body.chunks)
    assert await payment_db.scalar("SELECT count(*) FROM payments WHERE status IN ('paid', 'failed')") == 0
    assert await payment_db.scalar("SELECT count(*) FROM bank_lines WHERE result IS NOT NULL") == 0


async def test_a_return_file_with_a_declared_length_over_the_cap_is_refused_at_once(payment: Api) -> None:
    content = b"seq,account,amount,result,reason\r\n" + b"0" * (128 * 1024)

    response = await payment.client.post(
        "/v1/payment-runs/00000000-0000-0000-0000-000000000000/reconciliation",
        params={"bank": ABC},
        content=content,
        headers=CIVIL_AFFAIRS | {"Content-Type": "text/csv"},
    )

    assert_refused(response, 64 * 1024)  # before the run is even looked up: no 404
