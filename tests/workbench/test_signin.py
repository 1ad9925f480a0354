"""Signing in to the workbench: the development page, the session cookie, CSRF on every form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError
from workbench.settings import WorkbenchSettings

from tests.workbench.conftest import Workbench


async def test_a_page_sends_the_signed_out_to_sign_in_and_back(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()

    answer = await browser.page("/")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/"


async def test_signing_in_sets_an_httponly_samesite_cookie_and_shows_the_role(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    await browser.page("/login")

    answer = await browser.submit("/login", {"role": "window_clerk", "region": "230102001", "name": "王窗口"})
    home = await browser.page("/")

    cookie = answer.headers["set-cookie"].lower()
    assert answer.status_code == 303 and "httponly" in cookie and "samesite=lax" in cookie
    assert home.status_code == 200 and "王窗口" in home.text and "受理窗口" in home.text


async def test_a_form_without_the_session_token_is_refused(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    await browser.page("/login")

    forged = await browser.client.post("/login", data={"role": "ops", "region": "510000", "csrf_token": "forged"})

    assert forged.status_code == 403 and "表单未通过校验" in forged.text


async def test_a_bad_region_is_named_at_its_field(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    await browser.page("/login")

    answer = await browser.submit("/login", {"role": "window_clerk", "region": "99"})

    assert answer.status_code == 422 and 'id="region-error"' in answer.text


async def test_signing_in_never_redirects_to_another_site(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    await browser.page("/login")

    answer = await browser.submit("/login", {"role": "ops", "region": "510000", "next": "//evil.example/x"})

    assert answer.headers["location"] == "/"


def test_production_refuses_the_development_session_secret_and_needs_an_identity_provider() -> None:
    with pytest.raises(ValidationError, match="session secret"):
        WorkbenchSettings(env="prod")
    with pytest.raises(ValidationError, match="OIDC"):
        WorkbenchSettings(env="prod", session_secret="a-real-secret-of-the-province")


async def test_production_offers_no_development_sign_in(workbench: Callable[..., Any]) -> None:
    browser: Workbench = await workbench()
    browser.client._transport.app.state.settings = WorkbenchSettings(  # type: ignore[attr-defined]
        env="prod",
        session_secret="a-real-secret-of-the-province",
        oidc_issuer_url="https://idp.example",
        oidc_client_id="workbench",
        oidc_redirect_url="https://workbench.example/auth/callback",
    )
    await browser.page("/login")  # redirected to OIDC: no form, so no token either
    answer = await browser.client.post("/login", data={"role": "ops", "region": "510000"})

    assert answer.status_code in (403, 404)
