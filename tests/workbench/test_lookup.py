"""查找: a person by ID number, sent in a POST body, within the caller's area only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import application_body
from tests.workbench.conftest import Workbench
from tests.workbench.test_window_application import (
    APPROVED_NURSING,
    HUKOU,
    NATIONAL,
    OTHER_WINDOW,
    REFUSED_LIVING,
    clerk,
    decide,
    file_application,
    hand_in,
    route,
)


async def test_a_person_is_found_within_the_area_and_not_outside_it(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)
    application_id = await file_application(browser, 41)
    await hand_in(browser, application_id, NATIONAL)
    await route(browser, application_id)
    await decide(browser, application_id, [APPROVED_NURSING, REFUSED_LIVING])
    id_number = application_body(sequence=41)["applicant"]["id_number"]
    reviewer: Workbench = await workbench()
    await reviewer.sign_in("township_reviewer", HUKOU, "李审核")
    elsewhere = await clerk(workbench, OTHER_WINDOW)

    form = await browser.page("/lookup")
    found = await browser.submit("/lookup", {"id_number": id_number})
    hukou_side = await reviewer.submit("/lookup", {"id_number": id_number})
    outside = await elsewhere.submit("/lookup", {"id_number": id_number})

    assert form.status_code == 200 and 'method="post" action="/lookup"' in form.text and 'id="id_number"' in form.text
    assert found.status_code == 200 and 'id="lookup-result"' in found.text
    assert f'href="/window/applications/{application_id}"' in found.text and "90.00 元" in found.text
    assert 'id="person-key"' in found.text and id_number[:4] + "**********" + id_number[-4:] in found.text
    assert f'href="/review/cases/{application_id}"' in hukou_side.text
    assert (
        outside.status_code == 404 and 'id="lookup-none"' in outside.text and 'id="lookup-result"' not in outside.text
    )
    for page in (found, hukou_side, outside):
        assert f"?id_number={id_number}" not in page.text and f"/{id_number}" not in page.text


async def test_a_bad_id_number_is_named_at_its_field(workbench: Callable[..., Any]) -> None:
    browser = await clerk(workbench)
    good = application_body(sequence=42)["applicant"]["id_number"]
    bad = good[:17] + ("0" if good[17] != "0" else "1")

    answer = await browser.submit("/lookup", {"id_number": bad})

    assert answer.status_code == 422 and 'id="id_number-error"' in answer.text and "校验位" in answer.text
    assert f'value="{bad}"' in answer.text and 'href="#id_number"' in answer.text
