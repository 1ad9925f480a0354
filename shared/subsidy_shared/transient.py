"""Errors that mean "try again later" rather than "this message is bad": the database is restarting, a
connection dropped, a deadlock or serialization conflict chose us. A consumer waits these out instead of
spending its attempts on them and dead-lettering a sound event."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
from sqlalchemy.exc import DBAPIError

# Connection exceptions (08), operator intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot
# connect now), too many connections (53300), serialization failure (40001) and deadlock (40P01).
_TRANSIENT_STATES = frozenset({"57P01", "57P02", "57P03", "53300", "40001", "40P01"})


def transient(exc: BaseException) -> bool:
    return any(_is_transient(e) for e in _chain(exc))


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, OSError | ConnectionError | asyncio.TimeoutError | asyncpg.InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    state = getattr(exc, "sqlstate", None)
    return isinstance(state, str) and (state.startswith("08") or state in _TRANSIENT_STATES)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The error, what caused it, and the driver's own error behind SQLAlchemy's wrapper."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__, getattr(current, "orig", None)]
