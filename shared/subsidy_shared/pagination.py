"""Opaque keyset cursors for paginated lists: the sort key of the last row, base64 of `a|b`."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from subsidy_shared.errors import Unprocessable


def encode_cursor(*parts: object) -> str:
    raw = "|".join(p.isoformat() if hasattr(p, "isoformat") else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str, *parsers: Callable[[str], Any]) -> tuple[Any, ...]:
    """Parse each part with its parser; anything else than a cursor this API gave out is a 422."""
    try:
        parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        if len(parts) != len(parsers):
            raise ValueError("wrong number of parts")
        return tuple(parse(part) for parse, part in zip(parsers, parts, strict=True))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable.at(("query", "cursor"), "not a cursor returned by this list") from exc
