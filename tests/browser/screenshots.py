"""Regenerates docs/images/{widget,console}.png from the fake server.

.venv/bin/python -m tests.browser.screenshots
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import async_playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.fake_server import serve_fake

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


async def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    async with serve_fake() as (url, _), async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        await page.goto(url + "/")
        await page.locator(".launcher").click()
        for n, text in enumerate(("Where is my order #1001?", "menu"), start=1):
            await page.locator("textarea").fill(text)
            await page.locator("textarea").press("Enter")
            await expect(page.locator(".msg.bot[data-id]")).to_have_count(n)
        await expect(page.locator(".quick button")).to_have_count(3)
        await page.locator("textarea").fill("Hi, can I still change the size?")
        await page.screenshot(path=IMAGES / "widget.png")

        console = await context.new_page()
        await console.goto(url + "/agent/")
        await console.locator(".conv").first.click()
        await expect(console.locator("#transcript .m")).to_have_count(3)
        await console.screenshot(path=IMAGES / "console.png")
        await context.close()
        await browser.close()
    print(f"wrote {IMAGES / 'widget.png'} and {IMAGES / 'console.png'}")


if __name__ == "__main__":
    asyncio.run(main())
