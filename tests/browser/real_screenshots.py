"""Regenerates docs/images/{widget,console,dashboard}.png from the REAL server (demo mode).

.venv/bin/python -m tests.browser.real_screenshots

The server runs with the keyword classifier of the tests (no trained model needed);
orders and tracking come from the sandboxes.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from aiohttp import web
from playwright.async_api import async_playwright, expect

from chatserver.app import create_app
from chatserver.settings import load_settings
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.chatserver.live import CASE_STUDY, KeywordClassifier, always_open_policy, free_port

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


async def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        settings = load_settings(
            port=port,
            database_url=f"sqlite+aiosqlite:///{tmp}/chat.db",
            data_dir=Path(tmp),
            policy_path=always_open_policy(Path(tmp)),
        )
        runner = web.AppRunner(create_app(settings, classifier=KeywordClassifier()))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        url = f"http://127.0.0.1:{port}"
        try:
            await shoot(url)
        finally:
            await runner.cleanup()
    print(f"wrote {IMAGES / 'widget.png'}, {IMAGES / 'console.png'} and {IMAGES / 'dashboard.png'}")


async def shoot(url: str) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        await page.goto(url + "/")
        await page.locator(".launcher").click()
        for n, text in enumerate((CASE_STUDY, "maria@example.com", "#1001"), start=1):
            await page.locator("textarea").fill(text)
            await page.locator("textarea").press("Enter")
            await expect(page.locator(".msg.bot[data-id]")).to_have_count(n)
        await page.locator("textarea").fill("Thanks! Can I still change the size?")
        await page.screenshot(path=IMAGES / "widget.png")

        console = await context.new_page()  # online, so hand-offs stay in the chat
        await console.goto(url + "/agent/login")
        await console.get_by_label("Username").fill("agent")
        await console.get_by_label("Password").fill("demo")
        await console.get_by_role("button", name="Sign in").click()
        await expect(console.locator("#conn")).to_have_text("Connected")
        # A second customer (own storage, so own session), waiting for a person.
        other = await (
            await browser.new_context(viewport={"width": 1280, "height": 800})
        ).new_page()
        await other.goto(url + "/")
        await other.locator(".launcher").click()
        await other.locator("textarea").fill("Hi, my parcel arrived damaged, the vase is broken")
        await other.locator("textarea").press("Enter")
        await expect(other.locator(".msg.bot[data-id]")).to_have_count(1)
        await other.get_by_role("button", name="Talk to a person").first.click()
        await expect(other.locator(".msg.bot[data-id]")).to_have_count(2)

        await console.locator(".conv", has_text="Waiting").first.click()
        await console.get_by_role("button", name="Join").click()
        await expect(console.locator("#c-status")).to_have_text("With a person")
        await console.locator("#text").fill("I'm so sorry about the vase! Could you send a photo?")
        await console.locator("#text").press("Enter")
        await expect(other.locator(".msg.agent .bubble")).to_have_count(1)
        await console.screenshot(path=IMAGES / "console.png")
        await console.goto(url + "/agent/dashboard")
        await console.screenshot(path=IMAGES / "dashboard.png", full_page=True)
        await context.close()
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main())
