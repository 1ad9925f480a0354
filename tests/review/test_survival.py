"""Survival checks (生存验证): each check recorded; the overdue list; a failed check raises a finding."""

from __future__ import annotations

from subsidy_shared.events import FindingRaised

from tests.conftest import ServiceDatabase
from tests.review.conftest import (
    CIVIL_AFFAIRS,
    CLERK,
    OTHER_CIVIL_AFFAIRS,
    TOWNSHIP,
    Api,
    audit_rows,
    beneficiary,
    outbox_events,
    someone,
)

# Today is 2026-11-25; a beneficiary is due a passed check every 12 months from their first month.


async def check(api: Api, person_key: str, result: str = "passed", **kw: str) -> dict[str, object]:
    body = {"person_key": person_key, "method": "face_recognition", "result": result} | kw
    response = await api.post("/v1/survival-checks", TOWNSHIP, body)
    assert response.status_code == 201, response.text
    answer: dict[str, object] = response.json()
    return answer


async def test_overdue_are_those_without_a_passed_check_for_twelve_months(api: Api, db: ServiceDatabase) -> None:
    never_long, never_new, checked_recently, checked_long_ago = (someone(i) for i in range(1, 5))
    await beneficiary(db, never_long, start_month="2025-06")
    await beneficiary(db, never_new, start_month="2026-03")
    await beneficiary(db, checked_recently, start_month="2024-01")
    await beneficiary(db, checked_long_ago, start_month="2024-01")
    await check(api, checked_recently.key, checked_on="2026-01-10")
    await check(api, checked_long_ago.key, checked_on="2025-10-01")
    await check(api, checked_long_ago.key, "failed", checked_on="2026-02-01")  # a failure resets nothing

    listed = (await api.get("/v1/survival-checks/overdue", CIVIL_AFFAIRS)).json()["items"]

    assert [(i["person_key"], i["due_on"], i["last_passed_on"]) for i in listed] == [
        (never_long.key, "2026-06-01", None),
        (checked_long_ago.key, "2026-10-01", "2025-10-01"),
    ]
    assert listed[0]["name"] == "张*三" and never_long.id_number not in str(listed)


async def test_the_overdue_list_pages(api: Api, db: ServiceDatabase) -> None:
    for i in range(5):
        await beneficiary(db, someone(10 + i), start_month="2025-01")
    first = (await api.get("/v1/survival-checks/overdue", CIVIL_AFFAIRS, limit=2)).json()
    second = (await api.get("/v1/survival-checks/overdue", CIVIL_AFFAIRS, limit=2, cursor=first["next_cursor"])).json()
    third = (await api.get("/v1/survival-checks/overdue", CIVIL_AFFAIRS, limit=2, cursor=second["next_cursor"])).json()
    keys = [i["person_key"] for page in (first, second, third) for i in page["items"]]
    assert len(keys) == len(set(keys)) == 5


async def test_a_failed_check_raises_one_suspend_finding(api: Api, db: ServiceDatabase) -> None:
    who = someone(20)
    await beneficiary(db, who)

    first = await check(api, who.key, "failed", method="video", checked_on="2026-11-20")
    second = await check(api, who.key, "failed", method="home_visit")

    assert first["finding_id"] is not None and second["finding_id"] is None  # one open finding per rule
    (event,) = await outbox_events(db, "subsidy.finding.raised.v1")
    assert isinstance(event, FindingRaised)
    data = event.data
    assert (data.rule_id, data.suggested_action, data.effective_month) == ("survival.failed", "suspend", "2026-12")
    assert str(data.finding_id) == first["finding_id"]
    assert len(await audit_rows(db, "survival check")) == 2


async def test_only_field_workers_of_the_region_record_checks_of_beneficiaries(api: Api, db: ServiceDatabase) -> None:
    who = someone(30)
    await beneficiary(db, who)
    body = {"person_key": who.key, "method": "home_visit", "result": "passed"}

    assert (await api.post("/v1/survival-checks", CLERK, body)).status_code == 403
    assert (await api.post("/v1/survival-checks", OTHER_CIVIL_AFFAIRS, body)).status_code == 404
    stranger = body | {"person_key": someone(31).key}
    assert (await api.post("/v1/survival-checks", TOWNSHIP, stranger)).status_code == 404
    future = body | {"checked_on": "2026-12-01"}
    assert (await api.post("/v1/survival-checks", TOWNSHIP, future)).status_code == 422
    assert await db.scalar("SELECT count(*) FROM survival_checks") == 0
