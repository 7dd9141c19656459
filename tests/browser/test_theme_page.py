"""Done when: a customer logged in to the shop chats through the theme snippet's page and
the bot knows them. The real server (sandboxes inside, as `chatbot serve` in demo mode)
and the page `chatbot theme-preview` serves, with the snippet rendered by a Liquid engine
as Shopify renders it, in Chromium."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from chatserver.commands.theme_preview import create_preview_app
from tests.chatserver.live import free_port, start_server

pytestmark = pytest.mark.browser

SECRET = "the-shops-identity-secret-made-by-chatbot-init-0123"


@pytest.fixture
async def pages(aiohttp_server, tmp_path):
    """The chat server and the preview page for maria (and one for a visitor)."""
    page_port, visitor_port = free_port(), free_port()
    origins = [f"http://127.0.0.1:{page_port}", f"http://127.0.0.1:{visitor_port}"]
    chat = await start_server(
        aiohttp_server, tmp_path, identity_secret=SECRET, allowed_origins=origins
    )
    server = str(chat.make_url("")).rstrip("/")
    maria = await aiohttp_server(
        create_preview_app(server, SECRET, "maria@example.com", "Maison Demo"), port=page_port
    )
    visitor = await aiohttp_server(
        create_preview_app(server, SECRET, None, "Maison Demo"), port=visitor_port
    )
    return str(maria.make_url("/")), str(visitor.make_url("/"))


async def ask(page: Page, url: str, text: str):
    await page.goto(url)
    await page.locator(".launcher").click()
    await expect(page.locator(".status")).to_have_class("status online")
    await page.locator("textarea").fill(text)
    await page.locator("textarea").press("Enter")
    return page.locator(".msg.bot[data-id] .bubble")


async def test_a_logged_in_customer_is_known_on_the_theme_page(pages, browser_page: Page):
    maria, _ = pages
    answers = await ask(browser_page, maria, "has my order shipped?")
    await expect(answers.last).to_contain_text("#1001")
    await expect(answers.last).to_contain_text("USPS")


async def test_a_visitor_on_the_same_page_is_asked_who_they_are(pages, browser_page: Page):
    _, visitor = pages
    answers = await ask(browser_page, visitor, "has my order shipped?")
    await expect(answers.last).to_contain_text("email")
    await expect(answers.last).not_to_contain_text("#1001")
