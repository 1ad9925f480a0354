"""A database error on a request that carries personal data leaves no personal data in the logs."""

from __future__ import annotations

import httpx
import pytest
from intake_service.app import create_app
from intake_service.settings import Settings
from subsidy_shared.auth import Role

from tests.conftest import ServiceDatabase, application_body, token_for, truncate_all

CLERK = token_for(Role.WINDOW_CLERK, "230102001")
# The database refuses every new application, as a full disk or a broken constraint would.
# Its message quotes the ID number, as a driver's error quotes a row: the log must not repeat it.
_FAIL_INSERTS = (
    "CREATE FUNCTION refuse_application() RETURNS trigger AS $$ BEGIN"
    " RAISE EXCEPTION 'refused for the test: %', NEW.id_number; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER refuse_application BEFORE INSERT ON applications"
    " FOR EACH ROW EXECUTE FUNCTION refuse_application()",
)
_RESTORE = ("DROP TRIGGER refuse_application ON applications", "DROP FUNCTION refuse_application()")


async def test_a_database_error_logs_neither_the_id_number_nor_the_account(
    intake_db: ServiceDatabase, capfd: pytest.CaptureFixture[str]
) -> None:
    body = application_body(sequence=77)
    id_number, account = body["applicant"]["id_number"], body["bank_account"]["account_number"]
    async with intake_db.engine.begin() as conn:
        for statement in _FAIL_INSERTS:
            await conn.exec_driver_sql(statement)
    try:
        app = create_app(Settings(env="test", database_url=intake_db.url, run_background_tasks=False))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client,
        ):
            response = await client.post("/v1/applications", json=body, headers=CLERK)
    finally:
        async with intake_db.engine.begin() as conn:
            for statement in _RESTORE:
                await conn.exec_driver_sql(statement)
        await truncate_all(intake_db.engine)

    out, err = capfd.readouterr()
    logged = out + err
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert '"http.unhandled"' in logged and "DBAPIError" in logged  # the error was logged, by type
    for secret in (id_number, account, body["applicant"]["name"], id_number[:17]):
        assert secret not in logged
        assert secret not in response.text
