"""Browser fixtures: Debian's Chromium driven by async Playwright, and the fake chat server.

`browser_page` is a fresh page in a fresh context (empty localStorage) that fails the test on any
uncaught JavaScript error. It does not depend on a server, so end-to-end tests against the real
server can reuse it: start the server first, then ask for `browser_page`, so the browser closes
before the server stops. `new_page` opens more pages in the same context (other tabs, reloads).

Chromium comes from `apt-get install chromium` (scripts/test-setup.sh); never `playwright install`.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.browser.fake_server import FakeChat, serve_fake

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}


class FakeServer:
    def __init__(self, url: str, chat: FakeChat) -> None:
        self.url = url
        self.chat = chat


@pytest.fixture
async def fake_server() -> AsyncIterator[FakeServer]:
    async with serve_fake() as (url, chat):
        yield FakeServer(url, chat)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.skip("chromium is not installed (run scripts/test-setup.sh)")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def browser_context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(viewport=DESKTOP)
    try:
        yield context
    finally:
        await context.close()


@pytest.fixture
async def new_page(
    browser_context: BrowserContext,
) -> AsyncIterator[Callable[[], Awaitable[Page]]]:
    errors: list[Any] = []

    async def make() -> Page:
        page = await browser_context.new_page()
        page.on("pageerror", lambda exc: errors.append(exc))
        return page

    yield make
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture
async def browser_page(new_page: Callable[[], Awaitable[Page]]) -> Page:
    return await new_page()
