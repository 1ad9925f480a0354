"""Opaque keyset cursors for paginated lists: the sort key of the last row, base64 of `a|b`."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from subsidy_shared.errors import Unprocessable
from subsidy_shared.text import unstorable_text
from subsidy_shared.validators import matching

CURSOR_PATTERN = r"^[A-Za-z0-9_-]+={0,2}$"
# The `next_cursor` of the page before, as given out: URL-safe base64, so nothing else reaches decode_cursor.
Cursor = Annotated[
    str,
    Field(max_length=1024, json_schema_extra={"pattern": CURSOR_PATTERN}, description="next_cursor of the page before"),
    matching(CURSOR_PATTERN, "not a cursor returned by this list"),
]


def encode_cursor(*parts: object) -> str:
    raw = "|".join(p.isoformat() if hasattr(p, "isoformat") else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str, *parsers: Callable[[str], Any]) -> tuple[Any, ...]:
    """Parse each part with its parser; anything else than a cursor this API gave out is a 422."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if unstorable_text(raw) is not None:  # a part goes into SQL: one PostgreSQL cannot hold is no cursor of ours
            raise ValueError("unstorable text")
        parts = raw.split("|")
        if len(parts) != len(parsers):
            raise ValueError("wrong number of parts")
        return tuple(parse(part) for parse, part in zip(parsers, parts, strict=True))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable.at(("query", "cursor"), "not a cursor returned by this list") from exc
