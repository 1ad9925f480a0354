"""The service shell at the edge: unexpected errors, method errors and the OpenAPI document of every service."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from eligibility_service.app import create_app as eligibility_app
from eligibility_service.settings import Settings as EligibilitySettings
from fastapi import APIRouter, FastAPI
from intake_service.app import create_app as intake_app
from intake_service.settings import Settings as IntakeSettings
from payment_service.app import create_app as payment_app
from payment_service.settings import Settings as PaymentSettings
from review_service.app import create_app as review_app
from review_service.settings import Settings as ReviewSettings
from routing_service.app import create_app as routing_app
from routing_service.settings import Settings as RoutingSettings
from subsidy_shared.app import create_service_app
from subsidy_shared.settings import ServiceSettings

ID_NUMBER = "11010519491231002X"


def _app() -> FastAPI:
    router = APIRouter()

    @router.get("/boom")
    async def boom() -> dict[str, str]:
        raise RuntimeError(f"a bug that quotes its input {ID_NUMBER}")

    settings = ServiceSettings(env="test", service_name="edge", run_background_tasks=False)
    return create_service_app(settings, title="edge", routers=[router])


@contextlib.asynccontextmanager
async def _served(app: FastAPI) -> AsyncIterator[int]:
    """The app behind a real uvicorn on a free loopback port (keep-alive is the server's, not a test double's)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 — uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> tuple[int, bytes]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: edge\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    return status, head + await reader.readexactly(length)


async def test_an_unexpected_error_is_a_problem_and_the_connection_stays_usable() -> None:
    async with _served(_app()) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            status, answer = await _exchange(reader, writer, "/boom")
            after, health = await _exchange(reader, writer, "/healthz")  # the same connection
        finally:
            writer.close()
    assert status == 500 and b"application/problem+json" in answer
    assert ID_NUMBER.encode() not in answer
    assert after == 200 and b'"ok"' in health


async def test_a_method_not_allowed_names_the_allowed_methods() -> None:
    app = _app()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge") as client,
    ):
        response = await client.delete("/healthz")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.headers["content-type"] == "application/problem+json"


SERVICES: list[tuple[Any, type[ServiceSettings]]] = [
    (intake_app, IntakeSettings),
    (routing_app, RoutingSettings),
    (eligibility_app, EligibilitySettings),
    (payment_app, PaymentSettings),
    (review_app, ReviewSettings),
]


@pytest.mark.parametrize(
    ("create_app", "settings_type"), SERVICES, ids=[s[1].__module__.split("_")[0] for s in SERVICES]
)
def test_every_error_of_every_operation_is_documented_as_a_problem(
    create_app: Any, settings_type: type[ServiceSettings]
) -> None:
    document = create_app(settings_type(env="test", run_background_tasks=False)).openapi()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "Problem" in schemas
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "500" in responses, (method, path)
            if operation.get("security"):
                assert {"401", "403"} <= responses.keys(), (method, path)
            if operation.get("parameters") or "requestBody" in operation:
                assert "422" in responses, (method, path)
            for status, response in responses.items():
                if int(status) >= 400 and path not in {"/readyz", "/healthz"}:  # probes answer in their own shape
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)
