"""Review campaigns: the yearly provincial review with progress per county, the monthly village check, and the
quarterly 民政–残联 comparison listing every mismatch."""

from __future__ import annotations

import json
from typing import Any

from subsidy_shared.auth import Role

from tests.conftest import ServiceDatabase, token_for
from tests.review.conftest import (
    CIVIL_AFFAIRS,
    FEDERATION,
    GUANGZHOU_TOWNSHIP,
    OTHER_CIVIL_AFFAIRS,
    PROVINCE,
    TOWNSHIP,
    Api,
    apply,
    audit_rows,
    beneficiary,
    card,
    someone,
    submitted,
)

CHECKED = {"outcome": "confirmed", "method": "home_visit"}


async def create(api: Api, headers: dict[str, str], **body: str) -> dict[str, Any]:
    response = await api.post("/v1/review-campaigns", headers, body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_the_yearly_review_covers_every_beneficiary_of_the_province_with_progress_per_county(
    api: Api, db: ServiceDatabase
) -> None:
    for who in (someone(1), someone(2), someone(3, hukou="230102001"), someone(4, hukou=GUANGZHOU_TOWNSHIP)):
        await beneficiary(db, who)

    campaign = await create(api, PROVINCE, kind="annual_review", region="230000", period="2026")

    assert (campaign["total"], campaign["done"], campaign["completion_rate"]) == (3, 0, 0.0)
    assert [(c["county"], c["total"]) for c in campaign["counties"]] == [("230102", 1), ("230103", 2)]
    items = (await api.get(f"/v1/review-campaigns/{campaign['id']}/items", TOWNSHIP)).json()["items"]
    assert len(items) == 2 and items[0]["name"] == "张*三"
    checked = await api.post(f"/v1/review-campaigns/{campaign['id']}/items/{items[0]['id']}/check", TOWNSHIP, CHECKED)
    assert checked.status_code == 200, checked.text

    progress = (await api.get(f"/v1/review-campaigns/{campaign['id']}", CIVIL_AFFAIRS)).json()
    assert (progress["done"], progress["completion_rate"]) == (1, round(1 / 3, 4))
    assert {c["county"]: c["completion_rate"] for c in progress["counties"]} == {"230102": 0.0, "230103": 0.5}
    assert len(await audit_rows(db, "campaign item checked")) == 1


async def test_a_campaign_exists_once_per_kind_region_and_period(api: Api, db: ServiceDatabase) -> None:
    await create(api, PROVINCE, kind="annual_review", region="230000", period="2026")
    again = await api.post(
        "/v1/review-campaigns", PROVINCE, {"kind": "annual_review", "region": "230000", "period": "2026"}
    )
    assert again.status_code == 409


async def test_a_campaign_says_what_it_covers(api: Api, db: ServiceDatabase) -> None:
    def body(kind: str, region: str, period: str) -> dict[str, str]:
        return {"kind": kind, "region": region, "period": period}

    assert (
        await api.post("/v1/review-campaigns", PROVINCE, body("annual_review", "230000", "2026-11"))
    ).status_code == 422
    assert (
        await api.post("/v1/review-campaigns", PROVINCE, body("annual_review", "230103", "2026"))
    ).status_code == 422
    assert (
        await api.post("/v1/review-campaigns", CIVIL_AFFAIRS, body("annual_review", "230000", "2026"))
    ).status_code == 403
    other = token_for(Role.PROVINCIAL_ADMIN, "440000")
    assert (await api.post("/v1/review-campaigns", other, body("annual_review", "230000", "2026"))).status_code == 403
    assert (
        await api.post("/v1/review-campaigns", TOWNSHIP, body("monthly_check", "230103", "2026-11"))
    ).status_code == 422


async def test_the_monthly_check_lists_the_township_and_each_item_is_checked_once(
    api: Api, db: ServiceDatabase
) -> None:
    here, there = someone(10), someone(11, hukou="230103005")
    await beneficiary(db, here)
    await beneficiary(db, there)

    campaign = await create(api, TOWNSHIP, kind="monthly_check", region="230103002", period="2026-11")
    (item,) = (await api.get(f"/v1/review-campaigns/{campaign['id']}/items", TOWNSHIP)).json()["items"]
    url = f"/v1/review-campaigns/{campaign['id']}/items/{item['id']}/check"

    assert item["person_key"] == here.key and item["detail"]["checks"] == ["certificate", "dibao", "survival"]
    assert (await api.post(url, OTHER_CIVIL_AFFAIRS, CHECKED)).status_code == 404  # as if it did not exist
    assert (await api.post(url, TOWNSHIP, CHECKED)).status_code == 200
    assert (await api.post(url, TOWNSHIP, CHECKED)).status_code == 409
    done = (await api.get(f"/v1/review-campaigns/{campaign['id']}/items", TOWNSHIP, status="done")).json()["items"]
    assert [i["checked_by"] for i in done] == ["township-reviewer"]


async def test_the_quarterly_comparison_lists_every_mismatch(api: Api, db: ServiceDatabase) -> None:
    fine, no_card, revoked, regraded = someone(20), someone(21), someone(22), someone(23)
    applicant_fine, applicant_no_card = someone(24), someone(25)
    for who in (fine, no_card, revoked, regraded):
        await beneficiary(db, who)  # certificate number …41: physical, grade 1
    await apply(db, submitted(applicant_fine))
    await apply(db, submitted(applicant_no_card, ("nursing",)))
    await api.upload([card(fine), card(revoked, "revoked"), card(regraded, grade=3), card(applicant_fine)])

    report = (await api.get("/v1/reports/quarterly-comparison", FEDERATION, quarter="2026-Q4")).json()

    assert (report["beneficiaries_checked"], report["applications_checked"], report["mismatch_count"]) == (4, 2, 4)
    found = {(m["person_key"], m["subject"]): m["mismatches"] for m in report["mismatches"]}
    assert found == {
        (no_card.key, "beneficiary"): ["certificate_missing"],
        (revoked.key, "beneficiary"): ["certificate_revoked"],
        (regraded.key, "beneficiary"): ["category_grade_differs", "nursing_grade_not_covered"],
        (applicant_no_card.key, "application"): ["certificate_missing"],
    }
    assert no_card.id_number not in str(report)


async def test_a_quarterly_comparison_campaign_keeps_the_mismatches_to_work_through(
    api: Api, db: ServiceDatabase
) -> None:
    await beneficiary(db, someone(30))  # no certificate on file
    await beneficiary(db, someone(31))
    await api.upload([card(someone(31))])

    campaign = await create(api, FEDERATION, kind="quarterly_comparison", region="230103", period="2026-Q4")

    assert campaign["total"] == 1
    (item,) = (await api.get(f"/v1/review-campaigns/{campaign['id']}/items", FEDERATION)).json()["items"]
    assert item["detail"]["mismatches"] == ["certificate_missing"] and item["name"] == "张*三"


async def test_the_report_is_for_officials_of_the_region(api: Api, db: ServiceDatabase) -> None:
    assert (await api.get("/v1/reports/quarterly-comparison", TOWNSHIP)).status_code == 403
    assert (await api.get("/v1/reports/quarterly-comparison", OTHER_CIVIL_AFFAIRS, region="230103")).status_code == 403
    assert (await api.get("/v1/reports/quarterly-comparison", FEDERATION, quarter="2026-5")).status_code == 422


async def stored_card(db: ServiceDatabase, who: Any, facts: dict[str, Any]) -> None:
    """A certificate stored before imports checked its facts (no import accepts such a line any more)."""
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(
            "INSERT INTO registry_records (source, record_id, record_kind, change, in_force, person_key, id_number, "
            "region, facts, expires_on, category, grade, content_hash, observed_at) VALUES ('cdpf', 'old-1', "
            "'certificate', 'issued', true, $1, $2, $3, $4::jsonb, '2030-01-01', 7, 3, 'h', now())",
            (who.key, who.id_number, who.hukou, json.dumps(facts)),
        )


async def test_components_that_are_no_list_break_neither_the_report_nor_a_campaign(
    api: Api, db: ServiceDatabase
) -> None:
    who = someone(40)
    await beneficiary(db, who, grade=3, category=7)
    await stored_card(db, who, {"category": 7, "grade": 3, "components": 7})

    report = await api.get("/v1/reports/quarterly-comparison", FEDERATION, quarter="2026-Q4")
    campaign = await api.post(
        "/v1/review-campaigns", FEDERATION, {"kind": "quarterly_comparison", "region": "230103", "period": "2026-Q4"}
    )

    assert report.status_code == 200, report.text
    assert campaign.status_code == 201, campaign.text
    assert report.json()["mismatches"][0]["mismatches"] == ["nursing_grade_not_covered"]


async def test_a_certificate_with_components_that_are_no_list_is_rejected_at_import(
    api: Api, db: ServiceDatabase
) -> None:
    who = someone(41)
    report = (await api.upload([card(who, category=7, facts={"components": 7})], headers=FEDERATION)).json()
    assert report["accepted"] == 0 and "facts.components" in report["rejected"][0]["reason"]
