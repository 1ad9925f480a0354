"""structlog JSON logs with correlation ids; personal data never goes in a log line.

An exception's text can carry input — a database error quotes the row (`Key (id_number)=(…)`), a parser
quotes the line — so exceptions are logged as their types and stack frames only, never their messages.
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

# Libraries log through the standard library; they are chatty at INFO (every group rebalance).
_QUIET = ("aiokafka", "kafka", "uvicorn.access")
_CHAIN_LIMIT = 8


def exception_outline(exc: BaseException) -> str:
    """The traceback of `exc` and its causes without any exception message: types, files, lines, functions."""
    parts: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(parts) < _CHAIN_LIMIT:
        frames = traceback.extract_tb(current.__traceback__)
        lines = [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames]
        parts.append("\n".join(["Traceback (most recent call last):", *lines, _qualified(type(current))]))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\n\nwhile handling, from:\n".join(reversed(parts))


def _qualified(kind: type[BaseException]) -> str:
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _exception_of(exc_info: Any) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if exc_info is True:
        return sys.exc_info()[1]
    if isinstance(exc_info, tuple) and len(exc_info) == 3 and isinstance(exc_info[1], BaseException):
        return exc_info[1]
    return None


def outline_exc_info(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog's format_exc_info, minus the messages: `exception` holds the outline, `error` the type."""
    exc = _exception_of(event_dict.pop("exc_info", None))
    if exc is not None:
        event_dict["error"] = type(exc).__name__
        event_dict["exception"] = exception_outline(exc)
    return event_dict


class _CurrentStderr:
    """Whatever sys.stderr is when a line is written, not when the logger was made (tests swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(service: str, level: str = "INFO") -> None:
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, outline_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    # Standard-library records (aiokafka, uvicorn, sqlalchemy) become the same JSON lines.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                outline_exc_info,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    structlog.contextvars.bind_contextvars(service=service)
