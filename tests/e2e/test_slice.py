"""The walking skeleton end to end: intake → Kafka → routing → Kafka → eligibility."""

from __future__ import annotations

import httpx
from subsidy_shared.auth import Role

from tests.conftest import application_body, submit_complete, token_for
from tests.e2e.conftest import System, eventually

HARBIN_WINDOW = "230102001"
CHENGDU_HUKOU = "510104001"


async def test_harbin_window_application_reaches_the_chengdu_locality(system: System, http: httpx.AsyncClient) -> None:
    clerk = token_for(Role.WINDOW_CLERK, HARBIN_WINDOW)
    body = application_body(hukou=CHENGDU_HUKOU, sequence=501)

    application_id = await submit_complete(http, system.url("intake"), clerk, body)

    reviewer = token_for(Role.TOWNSHIP_REVIEWER, CHENGDU_HUKOU)
    case_url = f"{system.url('eligibility')}/v1/cases/{application_id}"

    async def visible() -> dict[str, object] | None:
        response = await http.get(case_url, headers=reviewer)
        return response.json() if response.status_code == 200 else None

    case = await eventually(visible)
    assert case["scope"] == "cross_province"
    assert case["locality_county"] == "510104"
    assert case["step"] == "township_review"
    assert case["applicant_id_number"].count("*") == 10

    other_county = token_for(Role.COUNTY_CIVIL_AFFAIRS, "440106")
    assert (await http.get(case_url, headers=other_county)).status_code == 404  # another area: as if unknown

    routed = (await http.get(f"{system.url('routing')}/v1/cases/{application_id}", headers=clerk)).json()
    assert routed["scope"] == "cross_province" and routed["locality_township"] == CHENGDU_HUKOU
    assert routed["push_due"] > routed["materials_complete_at"][:10]


async def test_bad_application_gets_a_problem_and_sends_no_event(system: System, http: httpx.AsyncClient) -> None:
    clerk = token_for(Role.WINDOW_CLERK, HARBIN_WINDOW)
    body = application_body(hukou="999999001", sequence=502)
    before = await system.databases["intake"].scalar("SELECT count(*) FROM outbox")

    response = await http.post(f"{system.url('intake')}/v1/applications", json=body, headers=clerk)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "hukou_region"]
    assert await system.databases["intake"].scalar("SELECT count(*) FROM outbox") == before


async def test_every_service_is_ready_and_serves_docs_and_metrics(system: System, http: httpx.AsyncClient) -> None:
    for name in system.processes:
        base = system.url(name)
        assert (await http.get(f"{base}/readyz")).json()["ready"] is True
        assert (await http.get(f"{base}/docs")).status_code == 200
        assert "subsidy_outbox_backlog" in (await http.get(f"{base}/metrics")).text
