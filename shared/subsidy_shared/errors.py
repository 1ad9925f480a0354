"""One error family, rendered as RFC 9457 problem+json with `errors: [{loc, msg}]`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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
    status: int, title: str, detail: str, instance: str, errors: Sequence[dict[str, Any]] = (), **extra: Any
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
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


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
        return problem(exc.status_code, str(exc.detail), str(exc.detail), request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled", path=request.url.path)
        return problem(500, "Internal error", "an unexpected error; it has been logged", request.url.path)
