"""The current instant as a FastAPI dependency, so a test can move time (deadlines, schedulers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends


def utc_now() -> datetime:
    return datetime.now(UTC)


# Override with `app.dependency_overrides[utc_now] = lambda: fixed` in tests.
NowDep = Annotated[datetime, Depends(utc_now)]
