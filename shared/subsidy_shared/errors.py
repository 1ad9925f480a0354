"""One error family, rendered as RFC 9457 problem+json with `errors: [{loc, msg}]`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)
PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    status: int = 400
    title: str = "Bad request"

    def __init__(self, message: str, *, errors: Sequence[dict[str, Any]] = (), **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors)
        self.extra = extra


class NotFound(DomainError):
    status, title = 404, "Not found"


class Conflict(DomainError):
    status, title = 409, "Conflict"


class Forbidden(DomainError):
    status, title = 403, "Forbidden"


class OutsideRegion(Forbidden):
    """A denial answered as the resource's 404, word for word: existence outside the region is not disclosed."""

    status, title = 404, "Not found"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # for the audit row only, never the answer


class Unauthorized(DomainError):
    status, title = 401, "Unauthorized"


class PayloadTooLarge(DomainError):
    status, title = 413, "Content too large"


class UnsupportedMediaType(DomainError):
    status, title = 415, "Unsupported media type"


class Unprocessable(DomainError):
    status, title = 422, "Unprocessable content"

    @classmethod
    def at(cls, loc: Sequence[str | int], msg: str) -> Unprocessable:
        """A validation failure of one field, e.g. Unprocessable.at(("body", "hukou_region"), "…")."""
        return cls(msg, errors=[{"loc": list(loc), "msg": msg}])


def problem(
    status: int,
    title: str,
    detail: str,
    instance: str,
    errors: Sequence[dict[str, Any]] = (),
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = list(errors)
    body.update(extra)
    answer_headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    answer_headers.update(headers or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=answer_headers or None)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # The input is never echoed: it may be an ID number or a bank account.
    return [{"loc": list(err["loc"]), "msg": err["msg"]} for err in exc.errors()]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.message, request.url.path, exc.errors, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        return problem(422, "Unprocessable content", "the request is not valid", request.url.path, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Keep the exception's headers: a 405 names what is allowed (`Allow`).
        return problem(exc.status_code, str(exc.detail), str(exc.detail), request.url.path, headers=exc.headers)

    app.add_middleware(UnexpectedErrors)


def unexpected_error(instance: str) -> JSONResponse:
    return problem(500, "Internal error", "an unexpected error; it has been logged", instance)


class UnexpectedErrors:
    """Answers an unexpected error with a problem+json 500 and keeps the connection usable.

    Starlette's own last-resort handler re-raises after answering, and the server then drops the keep-alive
    connection; here the error is logged (types and frames only, see logs.py) and not raised again — unless the
    response had already started, when only closing the connection tells the client the body is cut short.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("http.unhandled", path=scope.get("path", ""), method=scope.get("method", ""))
            if started:
                raise
            await unexpected_error(scope.get("path", ""))(scope, receive, send)
