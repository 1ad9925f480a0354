"""Request-body caps: uploads at `max_upload_bytes`, JSON and every other body at `max_json_bytes`.

A declared Content-Length over the cap is answered 413 at once, unread. A body without one (chunked) is counted
as it arrives and refused the moment it passes the cap, so the rest is never read. Either way the answer says
`Connection: close`: the unread rest would otherwise be taken for the next request on a kept-alive connection.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from subsidy_shared.errors import PayloadTooLarge, problem

# What the services' upload endpoints take: materials, bank return files, registry imports.
UPLOAD_TYPES = frozenset(
    {
        "multipart/form-data",
        "application/octet-stream",
        "text/csv",
        "application/csv",
        "text/plain",
        "application/x-ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
    }
)
# Boundaries and part headers around a multipart file: an upload cap is the file's own limit plus this.
MULTIPART_ALLOWANCE = 64 * 1024


class BodyTooLarge(PayloadTooLarge, HTTPException):
    """A body past the service's cap, rendered like every other 413 (DomainError comes first in the MRO)."""

    # Also an HTTPException because FastAPI turns any other error of body parsing into a 400 but re-raises that.
    def __init__(self, limit: int) -> None:
        PayloadTooLarge.__init__(self, f"the request body may be at most {limit} bytes", limit_bytes=limit)
        HTTPException.__init__(self, self.status, self.message)


class BodyLimit:
    """Pure ASGI middleware capping request bodies by media type; 413 problem+json past the cap."""

    def __init__(self, app: ASGIApp, *, max_json_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limit_for(headers.get("content-type", ""))
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refusal(BodyTooLarge(limit), scope["path"])(scope, receive, send)
            return
        capped = _CappedReceive(receive, limit)
        await self.app(scope, capped, _closing_after(capped, send))

    def limit_for(self, content_type: str) -> int:
        """The cap of a body of this Content-Type."""
        media_type = content_type.split(";")[0].strip().lower()
        return self.max_upload_bytes if media_type in UPLOAD_TYPES else self.max_json_bytes


class _CappedReceive:
    """The app's `receive`, counting body bytes; raises BodyTooLarge once they pass the limit."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self.limit = limit
        self.received = 0
        self.refused = False

    async def __call__(self) -> Message:
        if self.refused:  # a refused body is never pulled further, whoever asks again
            raise BodyTooLarge(self.limit)
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.refused = self.received > self.limit
            if self.refused:
                raise BodyTooLarge(self.limit)
        return message


def _closing_after(capped: _CappedReceive, send: Send) -> Send:
    """`send`, adding `Connection: close` to the answer of a request whose body was refused half-read."""

    async def closing(message: Message) -> None:
        if capped.refused and message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
        await send(message)

    return closing


def _refusal(exc: BodyTooLarge, instance: str) -> ASGIApp:
    response = problem(exc.status, exc.title, exc.message, instance, exc.errors, **exc.extra)
    response.headers["connection"] = "close"
    return response
