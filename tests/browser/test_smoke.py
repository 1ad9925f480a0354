"""The workbench in a real browser: the sign-in page, signing in, the home page of the role, its own assets."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import Shoot, SignIn


async def test_a_window_clerk_signs_in_and_sees_the_window_home(signed_in: SignIn, shoot: Shoot) -> None:
    page = await signed_in("window_clerk", "230102001", name="王窗口")

    await expect(page.locator("h1")).to_contain_text("受理窗口")
    await expect(page.locator("header .who")).to_contain_text("王窗口")
    await expect(page.get_by_role("link", name="受理新申请")).to_be_visible()


async def test_the_sign_in_page_and_the_vendor_assets_it_loads(signed_in: SignIn, shoot: Shoot) -> None:
    page = await signed_in("township_reviewer", "510104001")
    await page.get_by_role("button", name="退出").click()

    await expect(page.locator("h1")).to_contain_text("登录")
    await shoot(page, "login")
    # htmx comes from the npm registry through `make assets`, served at /static/vendor (never committed).
    script = await page.request.get("/static/vendor/htmx.org/dist/htmx.min.js")
    assert script.status == 200 and b"htmx" in await script.body()
    assert await page.evaluate("typeof window.htmx") == "object"
