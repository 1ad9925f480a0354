"""The five services' APIs, called with the signed-in user's token: every role and area rule stays there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from workbench.session import User

SERVICES = ("intake", "routing", "eligibility", "payment", "review")
SERVICE_NAMES = {
    "intake": "受理服务",
    "routing": "流转服务",
    "eligibility": "审核服务",
    "payment": "发放服务",
    "review": "复核服务",
}


class ServiceDown(Exception):
    """A service did not answer (or answered 5xx): its pages say so, the rest keep working."""

    def __init__(self, service: str) -> None:
        super().__init__(service)
        self.service = service


@dataclass
class Problem(Exception):
    """A service refused (4xx problem+json): its words, and each field's message for the form."""

    status: int
    title: str
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)

    def field_errors(self) -> dict[str, str]:
        """Field name (the last part of `loc`) → the service's message; the first message per field wins."""
        found: dict[str, str] = {}
        for error in self.errors:
            loc = [str(part) for part in error.get("loc", []) if part not in ("body", "query", "path")]
            found.setdefault(".".join(loc) or "_", str(error.get("msg", "")))
        return found


def problem_of(response: httpx.Response) -> Problem:
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    return Problem(
        status=response.status_code,
        title=str(body.get("title", response.reason_phrase)),
        detail=str(body.get("detail", "")),
        errors=list(body.get("errors", [])),
    )


class Api:
    """One client per service; `transports` lets tests put the services in-process (ASGI) instead of HTTP."""

    def __init__(
        self, urls: Mapping[str, str], timeout: float, transports: Mapping[str, httpx.AsyncBaseTransport] | None = None
    ) -> None:
        transports = transports or {}
        self.clients = {
            name: httpx.AsyncClient(base_url=urls[name], timeout=timeout, transport=transports.get(name))
            for name in SERVICES
        }

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def send(self, user: User | None, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The raw answer (2xx or a Problem raised); ServiceDown when the service is not there."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if user is not None:
            headers["Authorization"] = f"Bearer {user.token}"
        try:
            response = await self.clients[service].request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise ServiceDown(service) from exc
        if response.status_code >= 500:
            raise ServiceDown(service)
        if response.status_code >= 400:
            raise problem_of(response)
        return response

    async def get(self, user: User, service: str, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return (await self.send(user, service, "GET", path, params=clean)).json()

    async def post(self, user: User, service: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        if body is not None:
            kwargs["json"] = body
        response = await self.send(user, service, "POST", path, **kwargs)
        return response.json() if response.content else None
