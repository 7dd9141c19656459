"""A help-center answer in the chat widget, in Chromium, against the real demo server:
the articles are read from the Guide sandbox over HTTP, the link opens, Yes closes."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page, expect

from chatserver.keys import HELPCENTER_SYNC
from tests.browser.test_e2e_real_server import base, bubbles, open_widget, say
from tests.chatserver.live import WAIT, start_server
from tests.chatserver.test_helpcenter_app import Escalating

pytestmark = pytest.mark.browser


@pytest.fixture
async def server(aiohttp_server, tmp_path):
    server = await start_server(aiohttp_server, tmp_path, classifier=Escalating())
    sync = server.app[HELPCENTER_SYNC]
    if sync.generation == 0:
        await asyncio.wait_for(sync.changed(after=0), WAIT)
    return server


async def test_the_merino_question_in_the_widget(server, browser_page: Page):
    page = browser_page
    await open_widget(page, base(server))
    await say(page, "is the merino scarf machine washable?")
    await expect(bubbles(page, "bot")).to_have_count(2)
    answer = bubbles(page, "bot").first
    await expect(answer).to_contain_text('From our help center, "How to wash and care for merino')
    await expect(answer).to_contain_text("wool or hand-wash cycle")
    link = answer.get_by_role("link")
    href = await link.get_attribute("href")
    assert href is not None and "/sandbox/zendesk/hc/en-us/articles/360000101303" in href
    await expect(bubbles(page, "bot").last).to_have_text("Did that help?")
    replies = page.get_by_role("group", name="Suggested replies").get_by_role("button")
    await expect(replies).to_have_text(["Yes", "No", "Talk to a person"])
    await replies.first.click()
    await expect(bubbles(page, "bot")).to_have_count(3)
    await expect(bubbles(page, "bot").last).to_contain_text("Glad that helped!")
