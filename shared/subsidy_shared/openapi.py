"""The OpenAPI document as the services answer: one `Problem` schema, every error status an operation can return.

FastAPI documents its own `HTTPValidationError` (application/json) for 422, but every error here is RFC 9457
problem+json (errors.py), and the statuses that the shared mechanisms produce — bearer auth, region scoping,
body limits, the unexpected-error guard — appear on no operation unless written down. They are written down
here, once, from what each operation has: security, parameters, a body, a path parameter, a state change.
A route adds what only it can answer with `responses=problems(409)`.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from subsidy_shared.errors import PROBLEM_JSON

_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `errors` names each invalid field (the input is never echoed).",
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}
_WHY: dict[int, str] = {
    400: "the body could not be parsed",
    401: "no bearer token, or one that is not valid",
    403: "the caller's role or region does not allow this",
    404: "nothing of that id inside the caller's region",
    409: "the current state does not allow this",
    413: "the body is larger than the limit",
    415: "the body's media type is not accepted",
    422: "a parameter or a field is not valid; `errors[].loc` names it",
    500: "an unexpected error (logged without personal data)",
}
_CHANGES = frozenset({"post", "put", "patch", "delete"})


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that can answer more than its shape implies (e.g. a GET that may be a 409)."""
    return {status: problem_response(status) for status in statuses}


def problem_response(status: int) -> dict[str, Any]:
    why = _WHY.get(status) or HTTPStatus(status).phrase
    response: dict[str, Any] = {"description": why, "content": {PROBLEM_JSON: {"schema": _REF}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}}
    return response


def implied_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses the shared edge can give this operation, from its shape alone."""
    statuses = {500}
    parameters = operation.get("parameters", [])
    if operation.get("security"):
        statuses |= {401, 403}
    if parameters or "requestBody" in operation:
        statuses.add(422)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {400, 413}
        if len(operation["requestBody"].get("content", {})) > 0:
            statuses.add(415)
    if method in _CHANGES:
        statuses.add(409)
    return statuses


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite every error response of every operation as `Problem`; add the statuses the edge implies."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            for implied in implied_statuses(method, operation):
                responses.setdefault(str(implied), {})
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400 and _generic(response):
                    documented = problem_response(int(code))
                    given = response.get("description")
                    if given and given != "Validation Error":  # FastAPI's own words for its 422
                        documented["description"] = given
                    responses[code] = documented
    return document


def _generic(response: dict[str, Any]) -> bool:
    """No content of its own, or FastAPI's HTTPValidationError: the answer is a Problem."""
    content = response.get("content")
    return not content or "HTTPValidationError" in str(content)


def install_openapi(app: FastAPI) -> None:
    """Serve the rewritten document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            app.openapi_schema = document_problems(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to replace the generator
