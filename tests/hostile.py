"""Hostile input for the edge tests of every service: what PostgreSQL cannot store, and control characters."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

# NUL and a lone surrogate cannot be stored in text or jsonb; BEL is a control character, not text.
HOSTILE = [
    pytest.param("\u0000", id="nul"),
    pytest.param("\ud800", id="lone-surrogate"),
    pytest.param("\u0007", id="control"),
]
# A URL carries bytes, and the server decodes bad UTF-8 in it to U+FFFD: no lone surrogate can arrive there.
QUERY_HOSTILE = [
    pytest.param("\u0000", id="nul"),
    pytest.param("\u0007", id="control"),
    pytest.param("\n", id="line-break"),
]
# Months outside 1900–2099, or written with full-width digits (which `\d` would let through).
BAD_MONTHS = [
    pytest.param("0000-01", id="year-0"),
    pytest.param("1899-12", id="before-1900"),
    pytest.param("2100-01", id="after-2099"),
    pytest.param("9999-12", id="year-9999"),
    pytest.param("２０２６-11", id="full-width"),
]
JSON = {"Content-Type": "application/json"}


def with_value(body: dict[str, Any], path: Sequence[str | int], value: Any) -> dict[str, Any]:
    """A copy of `body` with `value` at `path` (keys and list indexes)."""
    changed = copy.deepcopy(body)
    target: Any = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def raw_json(body: dict[str, Any]) -> bytes:
    """The body as bytes, with NUL and lone surrogates as JSON escapes (httpx's `json=` may refuse them)."""
    return json.dumps(body, ensure_ascii=True).encode("ascii")


def assert_refused(response: httpx.Response, field: str | int) -> None:
    """A 422 problem+json with an error whose `loc` ends with `field`, and none elsewhere (a list holding the
    field may report itself too short as well): the refusal is the hostile value's, not another mistake's."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    locations = [err["loc"] for err in response.json()["errors"]]
    named = [loc for loc in locations if loc[-1] == field]
    assert named, locations
    assert all(any(loc == n[: len(loc)] for n in named) for loc in locations), locations


async def documented_pattern(client: httpx.AsyncClient, path: str, name: str, method: str = "get") -> str | None:
    """The pattern the service's OpenAPI document states for a parameter (of its non-null form)."""
    document = (await client.get("/openapi.json")).json()
    [parameter] = [p for p in document["paths"][path][method]["parameters"] if p["name"] == name]
    schemas = parameter["schema"].get("anyOf", [parameter["schema"]])
    return next((str(s["pattern"]) for s in schemas if "pattern" in s), None)


def multipart(field: tuple[str, bytes], file: tuple[bytes, bytes, str]) -> tuple[bytes, dict[str, str]]:
    """A multipart body written by hand — one form field and one file — so each byte reaches the server as
    written (httpx would encode a NUL in a file name); returns the body and its Content-Type header."""
    (name, value), (filename, content, content_type) = field, file
    boundary = "hostile-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
        + filename
        + f'"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
