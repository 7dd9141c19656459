"""The widget and the agent console in Chromium against the REAL server (demo mode).

The server is the one ``chatbot serve`` runs (``create_app``), with the deterministic
keyword classifier instead of the trained model; the order lookup and the tracking go
through the Shopify and USPS sandboxes over HTTP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from tests.chatserver.live import CASE_STUDY, TRACKING, start_server

pytestmark = pytest.mark.browser

INPUT = "textarea"


@pytest.fixture
async def real_server(aiohttp_server, tmp_path):
    return await start_server(aiohttp_server, tmp_path)


def base(server) -> str:
    return str(server.make_url("")).rstrip("/")


def bubbles(page: Page, sender: str = ""):
    return page.locator(f".msg{'.' + sender if sender else ''}[data-id] .bubble")


async def open_widget(page: Page, url: str) -> None:
    await page.goto(url + "/")
    await page.locator(".launcher").click()
    await expect(page.locator("section.panel")).to_be_visible()
    await expect(page.locator(".status")).to_have_class("status online")


async def say(page: Page, text: str) -> None:
    await page.locator(INPUT).fill(text)
    await page.locator(INPUT).press("Enter")


async def test_case_study_in_the_widget_and_history_after_reload(real_server, browser_page: Page):
    page = browser_page
    await open_widget(page, base(real_server))
    await say(page, CASE_STUDY)
    await expect(bubbles(page, "bot")).to_have_count(1)
    await expect(bubbles(page, "bot").last).to_contain_text("order number")
    await say(page, "maria@example.com")
    await expect(bubbles(page, "bot")).to_have_count(2)
    await say(page, "#1001")
    await expect(bubbles(page, "bot")).to_have_count(3)
    answer = bubbles(page, "bot").last
    await expect(answer).to_contain_text("USPS")
    await expect(answer).to_contain_text(TRACKING)
    await expect(answer).to_contain_text("in transit")
    before = await bubbles(page).all_text_contents()
    assert len(before) == 6

    await page.reload()
    await expect(page.locator(".status")).to_have_class("status online")
    await expect(bubbles(page)).to_have_text(before)
    ids = await page.locator(".msg[data-id]").evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(ids) == len(set(ids)) == 6


async def test_quick_replies_and_markup_as_text(real_server, browser_page: Page):
    page = browser_page
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await open_widget(page, base(real_server))

    evil = "<script>alert(1)</script><img src=x onerror=alert(2)> hello"
    await say(page, evil)
    await expect(bubbles(page, "customer")).to_have_text([evil])
    await expect(bubbles(page, "bot")).to_have_count(1)
    counts = await page.evaluate(
        """() => {
            const root = document.getElementById('chatbot-widget-host').shadowRoot;
            return [root.querySelectorAll('.log script, .log img').length,
                    document.querySelectorAll('img').length];
        }"""
    )
    assert counts == [0, 0] and dialogs == []

    buttons = page.get_by_role("group", name="Suggested replies").get_by_role("button")
    await expect(buttons.first).to_be_visible()
    title = await buttons.first.text_content()
    await buttons.first.click()
    await expect(bubbles(page, "customer").last).to_have_text(title.strip())
    await expect(bubbles(page, "bot")).to_have_count(2)


async def sign_in(page: Page, url: str) -> None:
    await page.goto(url + "/agent/")
    await expect(page).to_have_url(url + "/agent/login")
    await page.get_by_label("Username").fill("agent")
    await page.get_by_label("Password").fill("demo")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(url + "/agent/")
    await expect(page.locator("#conn")).to_have_text("Connected")


async def test_agent_takes_over_from_the_console(
    real_server, new_page: Callable[[], Awaitable[Page]]
):
    url = base(real_server)
    customer, agent = await new_page(), await new_page()
    await sign_in(agent, url)

    await open_widget(customer, url)
    await say(customer, "hello")
    await expect(bubbles(customer, "bot")).to_have_count(1)
    await customer.get_by_role("button", name="Talk to a person").first.click()
    await expect(bubbles(customer, "bot")).to_have_count(2)

    waiting = agent.locator(".conv", has_text="Visitor")
    await expect(waiting.locator(".badge")).to_have_text("Waiting")
    await waiting.click()
    await expect(agent.locator("#transcript .m.customer .m-text").first).to_have_text("hello")
    await agent.get_by_role("button", name="Join").click()
    await expect(agent.locator("#c-status")).to_have_text("With a person")
    # The demo account's display name, never its login, and one notice per join.
    await expect(customer.locator(".msg.system .bubble")).to_have_text(
        ["Alex from our team joined the chat."]
    )
    await expect(customer.locator(".notice")).to_have_count(0)

    await agent.locator("#text").fill("Hello, this is Alex from the team.")
    await agent.locator("#text").press("Enter")
    await expect(customer.locator(".msg.agent .bubble")).to_have_text(
        ["Hello, this is Alex from the team."]
    )
    await say(customer, "thanks!")
    await expect(agent.locator("#transcript .m.customer .m-text").last).to_have_text("thanks!")
    await expect(bubbles(customer, "bot")).to_have_count(2)  # the bot stayed silent

    await agent.get_by_role("button", name="Hand back to bot").click()
    await expect(agent.locator("#c-status")).to_have_text("Bot")
    # The server's system line is the one notice of the leave, too.
    await expect(customer.locator(".msg.system .bubble").last).to_contain_text(
        "Alex left the chat. I'm the shop's assistant again"
    )


async def test_the_console_needs_a_login(real_server, browser_page: Page):
    url = base(real_server)
    await browser_page.goto(url + "/agent/")
    await expect(browser_page).to_have_url(url + "/agent/login")
    await browser_page.get_by_label("Username").fill("agent")
    await browser_page.get_by_label("Password").fill("wrong")
    await browser_page.get_by_role("button", name="Sign in").click()
    await expect(browser_page.get_by_role("alert")).to_have_text("Wrong username or password.")
