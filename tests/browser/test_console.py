"""The agent console (and the widget talking to it) in Chromium, against the fake server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import FakeServer

pytestmark = pytest.mark.browser


async def open_console(page: Page, url: str) -> None:
    await page.goto(url + "/agent/")
    await expect(page.locator("#conn")).to_have_text("Connected")


async def test_lists_conversations_and_labels_an_intent(
    fake_server: FakeServer, browser_page: Page
):
    page = browser_page
    await open_console(page, fake_server.url)
    items = page.locator(".conv")
    await expect(items).to_have_count(3)
    await expect(items.first.locator(".badge")).to_have_text("Waiting")
    await expect(items.first.locator(".conv-reason")).to_have_text("The parcel is late")
    await expect(items.first).to_contain_text("Where is my order · sure")
    await expect(page).to_have_title("(1) Support console")

    await items.first.click()
    await expect(page.locator("#c-title")).to_have_text("james@example.com")
    await expect(page.locator("#c-summary")).to_contain_text("past the 10-day window")
    await expect(page.locator("#c-intents .chip")).to_have_text(
        ["Where is my order · sure", "Complaint · guessing"]
    )
    await expect(page.locator("#transcript .m")).to_have_count(3)

    last = page.locator("#transcript .m.customer").last
    await expect(last.locator(".m-guess")).to_have_text("Bot thought: Where is my refund (unsure)")
    await expect(page.locator("#c-reason")).to_have_text("The parcel is late")
    await last.get_by_label("What this message asks for").select_option("return_item")
    await last.get_by_role("button", name="Correct").click()
    await expect(last.locator(".m-labelled")).to_have_text("✓ saved")
    message_id = int(await last.get_attribute("data-id"))
    assert fake_server.chat.labels == [{"message_id": message_id, "intent": "return_item"}]
    await expect(last.locator(".m-guess")).to_have_text("Labelled: Wants to return an item")


async def test_agent_takes_over_a_live_chat(
    fake_server: FakeServer, new_page: Callable[[], Awaitable[Page]]
):
    customer, agent = await new_page(), await new_page()
    await open_console(agent, fake_server.url)
    await customer.goto(fake_server.url + "/")
    await customer.locator(".launcher").click()
    await customer.locator("textarea").fill("<img src=x onerror=alert(1)> hi")
    await customer.locator("textarea").press("Enter")
    await customer.get_by_role("button", name="Talk to a person").click()

    # The new conversation shows up live, waiting for a person.
    waiting = agent.locator(".conv", has_text="Visitor")
    await expect(waiting.locator(".badge")).to_have_text("Waiting")
    await waiting.click()
    await expect(agent.locator("#transcript .m.customer .m-text").first).to_have_text(
        "<img src=x onerror=alert(1)> hi"
    )
    assert await agent.locator("#transcript img").count() == 0
    # the button the customer pressed, in words, not its payload "/human_agent"
    await expect(agent.locator("#transcript .m.customer .m-text").nth(1)).to_have_text(
        "Pressed: Asked for a person"
    )

    await agent.get_by_role("button", name="Join").click()
    await expect(agent.locator("#c-status")).to_have_text("With a person")
    await expect(customer.locator(".msg.system .bubble")).to_have_text(
        ["Alex from our team joined the chat."]
    )
    await expect(customer.locator(".notice")).to_have_count(0)  # one notice per join

    await agent.locator("#text").fill("Hello, this is Alex.")
    await agent.locator("#text").press("Enter")
    await expect(customer.locator(".msg.agent .bubble")).to_have_text(["Hello, this is Alex."])
    await expect(agent.locator("#transcript .m.agent .m-text")).to_have_text(
        ["Hello, this is Alex."]
    )

    await customer.locator("textarea").fill("thanks!")
    await customer.locator("textarea").press("Enter")
    await expect(agent.locator("#transcript .m.customer .m-text").last).to_have_text("thanks!")

    await agent.get_by_label("Internal note").check()
    await agent.locator("#text").fill("customer is happy")
    await agent.get_by_role("button", name="Send").click()
    await expect(agent.locator("#transcript .m.note .m-text")).to_have_text(["customer is happy"])

    await agent.get_by_role("button", name="Hand back to bot").click()
    await expect(agent.locator("#c-status")).to_have_text("Bot")
    # The server's system line is the one notice of the leave, too.
    await expect(customer.locator(".msg.system .bubble").last).to_contain_text(
        "Alex left the chat. I'm the shop's assistant again"
    )
    await expect(customer.locator(".msg .bubble", has_text="customer is happy")).to_have_count(0)


async def test_console_refused_without_login_shows_sign_in_link(
    fake_server: FakeServer, browser_page: Page
):
    async def refuse(sid, environ, auth):
        raise ConnectionRefusedError("not signed in")

    fake_server.chat.sio.on("connect", refuse, namespace="/agent")
    await browser_page.goto(fake_server.url + "/agent/")
    await expect(browser_page.locator("#conn")).to_have_text("Not signed in")
    link = browser_page.get_by_role("alert").get_by_role("link", name="Sign in")
    assert await link.get_attribute("href") == "/agent/login"


async def test_login_page_carries_the_csrf_token(fake_server: FakeServer, browser_page: Page):
    page = browser_page
    await page.goto(fake_server.url + "/agent/login?error=invalid")
    await expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    token = page.locator('form[action="/agent/login"] input[name="csrf_token"]')
    assert await token.get_attribute("value") == "fake-token"
    await expect(page.get_by_label("Username")).to_be_focused()
