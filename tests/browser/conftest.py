"""Browser tests: Playwright's async API driving Debian's Chromium (headless) against the e2e system's workbench.

The system is tests/e2e's: its fixtures are re-exported here and shared, so one system (five services, the
workbench on 18000) serves both folders in a test session. Chromium is /usr/bin/chromium (`make browser` installs
Debian's package); Playwright never downloads a browser. Every page a test visits is saved as a PNG under
.screenshots/<test>/ (ignored by git).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright, expect
from subsidyctl.catalog import REPO_ROOT

from tests.e2e.conftest import System, http, run_id, system

__all__ = ["http", "run_id", "system"]  # one system for tests/e2e and tests/browser (see tests/e2e/conftest.py)

CHROMIUM = Path("/usr/bin/chromium")
# As this machine needs them (polyglot.md): no sandbox as root, and no background connections to a closed network.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO_ROOT / ".screenshots"
OFFICE_SCREEN: ViewportSize = {"width": 1366, "height": 768}
PAGE_TIMEOUT_MS = 15_000

Shoot = Callable[[Page, str], Awaitable[Path]]
SignIn = Callable[..., Awaitable[Page]]


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():  # never skipped: the acceptance tests must not pass by not running
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium (as root)")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """One headless Chromium for the session; each `launch` starts it on a new, empty user-data-dir."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_FLAGS, timeout=60_000
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def workbench_url(system: System) -> str:
    return system.url("workbench")


@pytest.fixture
async def contexts(browser: Browser, workbench_url: str) -> AsyncIterator[Callable[[], Awaitable[BrowserContext]]]:
    """`await new_context()` → a browser profile of its own (its own cookies), on a 1366×768 office screen."""
    opened: list[BrowserContext] = []

    async def new_context() -> BrowserContext:
        context = await browser.new_context(
            base_url=workbench_url, viewport=OFFICE_SCREEN, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        opened.append(context)
        return context

    yield new_context
    for context in opened:
        await context.close()


@pytest.fixture
async def signed_in(contexts: Callable[[], Awaitable[BrowserContext]], shoot: Shoot) -> SignIn:
    """`await signed_in("window_clerk", "230102001")` → a page of a new browser, signed in, on the home page."""

    async def sign_in(role: str, region: str, name: str = "测试员") -> Page:
        page = await (await contexts()).new_page()
        await page.goto("/login")
        await page.select_option("#role", role)
        await page.fill("#region", region)
        await page.fill("#name", name)
        await page.get_by_role("button", name="登录").click()
        await expect(page).to_have_url(re.compile(r"/$"))
        await shoot(page, f"home-{role}")
        return page

    return sign_in


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Shoot:
    """`await shoot(page, "name")` saves the whole page as .screenshots/<test>/<nn>-<name>.png."""
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    taken = 0

    async def take(page: Page, name: str) -> Path:
        nonlocal taken
        taken += 1
        path = folder / f"{taken:02d}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path

    return take


async def reload_until(page: Page, ready: Callable[[], Awaitable[bool]], within: float = 60.0) -> None:
    """Reload the page until `ready()` holds (the system works through Kafka, so results arrive later)."""
    deadline = time.monotonic() + within
    while not await ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"{page.url}: not there after {within:.0f} s")
        await asyncio.sleep(0.5)
        await page.reload()
