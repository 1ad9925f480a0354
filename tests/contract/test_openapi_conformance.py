"""Every operation of the five services answers as its OpenAPI document says (schemathesis, in-process ASGI).

Bounded on purpose — a few generated requests per operation, derandomised so a failure reproduces — with the
five checks the public contract depends on: no 5xx, every status and media type documented, bodies and headers
matching their schemas. Each service runs on its real test database with a token of a role that can do most of
its work; a 403 or 404 is an answer the document must describe as well.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import schemathesis
from eligibility_service.app import create_app as eligibility_app
from eligibility_service.settings import Settings as EligibilitySettings
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from intake_service.app import create_app as intake_app
from intake_service.settings import Settings as IntakeSettings
from payment_service.app import create_app as payment_app
from payment_service.settings import Settings as PaymentSettings
from review_service.app import create_app as review_app
from review_service.settings import Settings as ReviewSettings
from routing_service.app import create_app as routing_app
from routing_service.settings import Settings as RoutingSettings
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from subsidy_shared.auth import Role
from subsidy_shared.settings import ServiceSettings

from tests.conftest import DB_PREFIX, SERVER, ServiceDatabase, service_info, token_for, truncate_all

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
BOUNDED = settings(
    max_examples=int(os.environ.get("SUBSIDY_CONTRACT_EXAMPLES", "20")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schemathesis.serializer("application/x-ndjson")
def _json_lines(_: Any, value: Any) -> bytes:
    """Registry uploads are JSON lines; whatever text was generated goes as it is (surrogates and all)."""
    return (value if isinstance(value, str) else json.dumps(value)).encode("utf-8", "surrogatepass")


def _schema(name: str, create_app: Callable[[Any], FastAPI], settings_type: type[ServiceSettings]) -> BaseSchema:
    """Loaded at import (pytest 9 no longer lets schemathesis load lazily from a fixture); the database it
    names is the session fixture's, created and migrated before the first request reaches it."""
    url = service_info(name).database_url(SERVER, f"{DB_PREFIX}test_{name}")
    app = create_app(settings_type(env="test", database_url=url, run_background_tasks=False))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


intake = _schema("intake", intake_app, IntakeSettings)
routing = _schema("routing", routing_app, RoutingSettings)
eligibility = _schema("eligibility", eligibility_app, EligibilitySettings)
payment = _schema("payment", payment_app, PaymentSettings)
review = _schema("review", review_app, ReviewSettings)


@pytest.fixture(scope="module", autouse=True)
async def _empty_afterwards(
    intake_db: ServiceDatabase,
    routing_db: ServiceDatabase,
    eligibility_db: ServiceDatabase,
    payment_db: ServiceDatabase,
    review_db: ServiceDatabase,
) -> AsyncIterator[None]:
    """The generated requests create rows; the tests after these expect empty databases."""
    yield
    for db in (intake_db, routing_db, eligibility_db, payment_db, review_db):
        await truncate_all(db.engine)


@intake.parametrize()
@BOUNDED
def test_intake(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(headers=token_for(Role.WINDOW_CLERK, "230102001"), checks=CHECKS)


@routing.parametrize()
@BOUNDED
def test_routing(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(headers=token_for(Role.PROVINCIAL_ADMIN, "230000"), checks=CHECKS)


@eligibility.parametrize()
@BOUNDED
def test_eligibility(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(headers=token_for(Role.TOWNSHIP_REVIEWER, "510104001"), checks=CHECKS)


@payment.parametrize()
@BOUNDED
def test_payment(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(headers=token_for(Role.COUNTY_CIVIL_AFFAIRS, "230103"), checks=CHECKS)


@review.parametrize()
@BOUNDED
def test_review(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(headers=token_for(Role.COUNTY_CIVIL_AFFAIRS, "230103"), checks=CHECKS)
