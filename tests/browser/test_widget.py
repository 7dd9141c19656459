"""The chat widget in a real Chromium, against the fake protocol server."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import FakeServer

pytestmark = pytest.mark.browser

LAUNCHER = ".launcher"
PANEL = "section.panel"
INPUT = "textarea"


async def open_widget(page: Page, url: str) -> None:
    await page.goto(url + "/")
    await page.locator(LAUNCHER).click()
    await expect(page.locator(PANEL)).to_be_visible()
    await expect(page.locator(".status")).to_have_class("status online")


async def say(page: Page, text: str) -> None:
    await page.locator(INPUT).fill(text)
    await page.locator(INPUT).press("Enter")


def bubbles(page: Page, sender: str = ""):
    return page.locator(f".msg{'.' + sender if sender else ''}[data-id] .bubble")


async def test_launcher_opens_and_escape_closes(fake_server: FakeServer, browser_page: Page):
    page = browser_page
    await page.goto(fake_server.url + "/")
    launcher = page.get_by_role("button", name="Open chat: Maison Demo support")
    await expect(page.locator(PANEL)).to_be_hidden()
    await launcher.click()

    panel = page.get_by_role("dialog", name="Maison Demo support")
    await expect(panel).to_be_visible()
    await expect(page.locator(INPUT)).to_be_focused()
    await expect(page.locator(".greeting")).to_contain_text("How can I help?")
    await expect(page.get_by_role("log", name="Conversation")).to_be_visible()

    await say(page, "hello")
    await expect(bubbles(page, "bot")).to_have_text(["You said: hello"])
    await expect(bubbles(page, "customer")).to_have_text(["hello"])

    await page.keyboard.press("Escape")
    await expect(panel).to_be_hidden()
    await expect(page.locator(LAUNCHER)).to_be_focused()


async def test_customer_markup_is_shown_as_text(fake_server: FakeServer, browser_page: Page):
    page = browser_page
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await open_widget(page, fake_server.url)

    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    await say(page, evil)
    await expect(bubbles(page, "bot")).to_have_text([f"You said: {evil}"])
    await expect(bubbles(page, "customer")).to_have_text([evil])

    counts = await page.evaluate(
        """() => {
            const root = document.getElementById('chatbot-widget-host').shadowRoot;
            return [root.querySelectorAll('script, img').length,
                    document.querySelectorAll('img').length];
        }"""
    )
    assert counts == [0, 0]
    assert dialogs == []


async def test_quick_reply_sends_payload_and_shows_title(
    fake_server: FakeServer, browser_page: Page
):
    page = browser_page
    await open_widget(page, fake_server.url)
    await say(page, "menu")

    buttons = page.get_by_role("group", name="Suggested replies").get_by_role("button")
    await expect(buttons).to_have_text(["Track my order", "Returns", "Talk to a person"])
    await buttons.first.click()

    await expect(bubbles(page, "bot").last).to_have_text("Intent track_order received.")
    assert fake_server.chat.received[-1]["message"] == "/track_order"
    await expect(bubbles(page, "customer")).to_have_text(["menu", "Track my order"])
    await expect(buttons).to_have_count(0)


async def test_talk_to_a_person_and_agent_notices(fake_server: FakeServer, browser_page: Page):
    page = browser_page
    await open_widget(page, fake_server.url)
    await page.get_by_role("button", name="Talk to a person").click()
    await expect(bubbles(page, "bot")).to_contain_text(["getting a person"])
    assert fake_server.chat.received[-1]["message"] == "/human_agent"
    await expect(bubbles(page, "customer")).to_have_text(["Talk to a person"])
    # Handed over: the header says a colleague is coming, and asking again is not offered.
    await expect(page.locator(".status")).to_contain_text("A colleague is on the way")
    await expect(page.get_by_role("button", name="Talk to a person")).to_be_hidden()

    session_id = fake_server.chat.received[-1]["session_id"]
    await fake_server.chat.agent_join("agent-sid", {"session_id": session_id})
    # One notice per join: the server's system line, none of the widget's own.
    await expect(page.locator(".msg.system .bubble")).to_have_text(
        ["Alex from our team joined the chat."]
    )
    await expect(page.locator(".notice")).to_have_count(0)
    await expect(page.locator(".status")).to_contain_text("Alex is here to help")
    await expect(page.get_by_role("button", name="Talk to a person")).to_be_hidden()

    await fake_server.chat.agent_send("agent-sid", {"session_id": session_id, "text": "Hi!"})
    await expect(page.locator(".msg.agent .who")).to_have_text(["Alex"])
    await expect(bubbles(page, "agent")).to_have_text(["Hi!"])


async def test_history_survives_reload_without_duplicates(
    fake_server: FakeServer, browser_page: Page
):
    page = browser_page
    await open_widget(page, fake_server.url)
    await say(page, "first")
    await expect(bubbles(page, "bot")).to_have_count(1)
    await say(page, "second")
    await expect(bubbles(page, "bot")).to_have_count(2)
    before = await bubbles(page).all_text_contents()
    assert before == ["first", "You said: first", "second", "You said: second"]

    await page.reload()
    # The panel stays open across navigation, and the stored history renders at once.
    await expect(page.locator(PANEL)).to_be_visible()
    await expect(page.locator(".status")).to_have_class("status online")
    await expect(bubbles(page)).to_have_text(before)

    # Something said while the customer was away arrives exactly once.
    await page.goto("about:blank")
    chat = fake_server.chat
    session = next(iter(s for s in chat.sessions.values() if s.messages and not s.summary["order"]))
    chat.add(session, "bot", "Your parcel was delivered.")
    await page.goto(fake_server.url + "/")
    await expect(bubbles(page)).to_have_text([*before, "Your parcel was delivered."])
    ids = await page.locator(".msg[data-id]").evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(ids) == len(set(ids)) == 5


async def test_error_event_is_shown(fake_server: FakeServer, browser_page: Page):
    page = browser_page
    await open_widget(page, fake_server.url)
    await say(page, "x" * 1200)
    await expect(page.get_by_role("alert")).to_have_text("That message is too long to send.")
    await expect(page.locator(".msg.failed .meta")).to_have_text("Not sent")


async def test_host_css_cannot_reach_in_and_ours_cannot_leak(
    fake_server: FakeServer, browser_page: Page
):
    page = browser_page
    await open_widget(page, fake_server.url)
    await say(page, "hello")
    await expect(bubbles(page, "bot")).to_have_count(1)

    probe = """() => {
        const root = document.getElementById('chatbot-widget-host').shadowRoot;
        const pick = (sel) => {
            const el = root.querySelector(sel);
            const s = getComputedStyle(el);
            const r = el.getBoundingClientRect();
            return [s.color, s.fontSize, s.fontFamily, s.display, Math.round(r.width),
                    Math.round(r.height), Math.round(r.x), Math.round(r.y)];
        };
        return ['.launcher', '.panel', '.head', '.msg.bot .bubble', '.msg.customer .bubble',
                'textarea'].map(pick);
    }"""
    before = await page.evaluate(probe)
    await page.add_style_tag(
        content="* { color: red !important; display: inline !important; "
        "font: 40px/3 'Comic Sans MS' !important; margin: 30px !important; "
        "visibility: visible !important; box-sizing: content-box !important; }"
        "div, section, button { position: static !important; width: 10px !important; }"
        # an off-canvas menu: a transformed body re-anchors position:fixed descendants
        "body { transform: translateX(40px) !important; filter: saturate(2) !important; }"
    )
    assert await page.evaluate(probe) == before

    # Our class names do not style the host page's own elements.
    leaked = await page.evaluate(
        """() => {
            const el = document.createElement('div');
            el.className = 'launcher panel bubble';
            document.body.appendChild(el);
            const s = getComputedStyle(el);
            return [s.position, s.borderRadius, s.backgroundColor];
        }"""
    )
    assert leaked == ["static", "0px", "rgba(0, 0, 0, 0)"]


async def test_phone_screen_gets_a_full_screen_panel(fake_server: FakeServer, browser_page: Page):
    page = browser_page
    await page.set_viewport_size({"width": 375, "height": 700})
    await open_widget(page, fake_server.url)
    box = await page.locator(PANEL).bounding_box()
    assert box == {"x": 0, "y": 0, "width": 375, "height": 700}
    await expect(page.locator(LAUNCHER)).to_be_hidden()
    await page.get_by_role("button", name="Close chat").click()
    await expect(page.locator(LAUNCHER)).to_be_visible()


async def test_no_socketio_global_is_left_behind(fake_server: FakeServer, browser_page: Page):
    page = browser_page
    await open_widget(page, fake_server.url)
    assert await page.evaluate("() => typeof window.io") == "undefined"


async def test_config_object_and_signed_identity(fake_server: FakeServer, browser_page: Page):
    page = browser_page
    identity = {"email": "maria@example.com", "expires": 1893456000, "signature": "ab12"}
    await page.add_init_script(
        "window.ChatbotWidget = {title: 'Acme help', colors: {primary: 'rgb(200, 30, 30)'},"
        f" identity: {identity!r}, greeting: 'Hello Maria'}}".replace("'", '"')
    )
    await page.goto(fake_server.url + "/")
    await page.get_by_role("button", name="Open chat: Acme help").click()
    await expect(page.locator(".greeting")).to_have_text("Hello Maria")
    await expect(page.locator(".panel .head")).to_have_css("background-color", "rgb(200, 30, 30)")
    await say(page, "hi")
    await expect(bubbles(page, "bot")).to_have_count(1)
    custom = fake_server.chat.received[-1]["customData"]
    assert custom["identity"] == identity
    assert custom["page_url"] == fake_server.url + "/"
    assert custom["client_message_id"].startswith("c-")


async def test_reconnects_and_fetches_only_what_it_missed(
    fake_server: FakeServer, browser_page: Page
):
    page = browser_page
    # Keep a handle on the page's WebSockets so the test can cut the connection.
    await page.add_init_script(
        """(() => {
            const Native = window.WebSocket, open = [];
            window.__cutSockets = () => open.forEach((ws) => ws.close());
            window.WebSocket = function (...args) {
                const ws = new Native(...args);
                open.push(ws);
                return ws;
            };
            Object.assign(window.WebSocket, Native);
            window.WebSocket.prototype = Native.prototype;
        })()"""
    )
    await open_widget(page, fake_server.url)
    await say(page, "before")
    await expect(bubbles(page)).to_have_count(2)

    chat = fake_server.chat
    session_id = next(iter(chat.by_sid.values()))
    assert chat.requests == [{"session_id": None, "last_message_id": None, "protocol": "chatbot/1"}]
    last_shown = chat.sessions[session_id].messages[-1]["id"]
    # Said while the connection is down: not pushed, so only the resume can deliver it.
    chat.add(chat.sessions[session_id], "agent", "Still there?", agent_name="Alex")
    await page.evaluate("() => window.__cutSockets()")
    await expect(bubbles(page)).to_have_text(
        ["before", "You said: before", "Still there?"], timeout=10000
    )
    assert chat.requests[1:] == [
        {"session_id": session_id, "last_message_id": last_shown, "protocol": "chatbot/1"}
    ]
    await expect(page.locator(".status")).to_have_class("status online")


@pytest.mark.parametrize("how", ["config-object", "data-attribute"])
async def test_websocket_only_transport_never_polls(
    fake_server: FakeServer, browser_page: Page, how: str
):
    page = browser_page
    polls: list[str] = []
    sockets: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "transport=polling" in r.url else None)
    page.on("websocket", lambda ws: sockets.append(ws.url))
    if how == "config-object":
        await page.add_init_script("window.ChatbotWidget = {transports: ['websocket']}")
    else:  # the attribute, set on the demo page's tag as the parser inserts it
        await page.add_init_script(
            "new MutationObserver((_, obs) => {"
            " const tag = document.querySelector('script[src*=\"widget.js\"]');"
            " if (tag) { tag.dataset.transports = 'websocket'; obs.disconnect(); }"
            "}).observe(document, {childList: true, subtree: true})"
        )
    await open_widget(page, fake_server.url)
    await say(page, "hi")
    await expect(bubbles(page, "bot")).to_have_count(1)
    assert polls == []
    assert any("transport=websocket" in url for url in sockets)


async def test_default_transport_starts_on_polling(fake_server: FakeServer, browser_page: Page):
    page = browser_page
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "transport=polling" in r.url else None)
    await open_widget(page, fake_server.url)
    assert polls


async def test_a_new_identity_or_none_starts_a_new_session(fake_server: FakeServer, new_page):
    """Issue 12, finding 3: a page with no identity showed the previous customer's chat."""

    async def visit(identity: dict | None) -> Page:
        page = await new_page()  # same browser profile: the same localStorage
        if identity is not None:
            await page.add_init_script(
                f"window.ChatbotWidget = {{identity: {identity!r}}}".replace("'", '"')
            )
        await page.goto(fake_server.url + "/")
        if not await page.locator(PANEL).is_visible():  # the panel stays open across pages
            await page.locator(LAUNCHER).click()
        await expect(page.locator(".status")).to_have_class("status online")
        return page

    maria = {"email": "maria@example.com", "expires": 1893456000, "signature": "ab12"}
    page = await visit(maria)
    await say(page, "where is my order")
    await expect(bubbles(page, "bot")).to_have_count(1)
    first = fake_server.chat.requests[-1]
    page = await visit(maria)  # the same customer, next page: the chat goes on
    await expect(bubbles(page)).to_have_count(2)
    resumed = fake_server.chat.requests[-1]["session_id"]
    assert resumed is not None and first["session_id"] is None

    for identity in (None, {**maria, "email": "lukas@example.com"}):
        page = await visit(identity)  # signed out, or someone else signed in
        assert fake_server.chat.requests[-1]["session_id"] is None
        await expect(bubbles(page)).to_have_count(0)
        await say(page, "hi")
        await expect(bubbles(page, "bot")).to_have_count(1)
