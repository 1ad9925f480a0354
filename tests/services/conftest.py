"""subsidyctl fixtures: the payment test database, emptied after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import ServiceDatabase, truncate_all


@pytest.fixture
async def db(payment_db: ServiceDatabase) -> AsyncIterator[ServiceDatabase]:
    yield payment_db
    await truncate_all(payment_db.engine)
