"""rasa-webchat 1.0.1, the reference Rasa web client from npm, in Chromium against the REAL server.

The shop's page is on another origin (a second local server, allowed in ``allowed_origins``)
and embeds the client as its README shows: the UMD bundle and
``WebChat.default({socketUrl, ...})``, nothing else. The client asks for no extensions, so
the server speaks Rasa's socketio protocol exactly; before that, rasa-webchat showed none of
the answers (docs/protocol.md). The bundle is installed by scripts/test-setup.sh, pinned.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Page, Route, expect

from chatserver.keys import SERVICE
from chatserver.settings import PROJECT_ROOT
from tests.chatserver.live import TRACKING, free_port, start_server

pytestmark = pytest.mark.browser

VERSION = "1.0.1"
INTEGRITY = (  # the registry's sha512 of rasa-webchat-1.0.1.tgz
    "sha512-Ld1zVJvTAaTrs6A5p8t70agNNrKYRyXlvqXZRgBoDvKKUXbA0jhJKECi5bdPGlaR6jsmqWtVylHS+YqIqo0x8w=="
)
INSTALLED = PROJECT_ROOT / "build" / "rasa-webchat" / "node_modules"
BUNDLE = INSTALLED / "rasa-webchat" / "lib" / "index.js"
# The client shows each answer after a delay of up to 3 s (its customMessageDelay): a safety net.
SHOWN = 20_000

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A shop</title></head>
<body>
<h1>A shop page</h1>
<script src="/rasa-webchat.js"></script>
<script>
  WebChat.default(
    {
      socketUrl: new URLSearchParams(location.search).get("server"),
      title: "Support",
      customData: { language: "en" },
    },
    null
  );
</script>
</body></html>
"""


def installed_integrity() -> str | None:
    lock = INSTALLED / ".package-lock.json"
    if not lock.is_file():
        return None
    entry = json.loads(lock.read_text()).get("packages", {}).get("node_modules/rasa-webchat", {})
    return entry.get("integrity")


@pytest.fixture
def bundle() -> Path:
    if not BUNDLE.is_file():
        pytest.skip("rasa-webchat is not installed (run scripts/test-setup.sh)")
    installed = json.loads((BUNDLE.parent.parent / "package.json").read_text())["version"]
    assert installed == VERSION, f"rasa-webchat {installed} installed, the test pins {VERSION}"
    assert installed_integrity() == INTEGRITY
    return BUNDLE


@pytest.fixture
async def shop_page(aiohttp_server, bundle: Path) -> str:
    """The shop's own site: the page that embeds rasa-webchat, and the bundle."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def script(request: web.Request) -> web.FileResponse:
        return web.FileResponse(bundle, headers={"Content-Type": "text/javascript"})

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/rasa-webchat.js", script)
    port = free_port()
    await aiohttp_server(app, port=port)
    return f"http://127.0.0.1:{port}"


@pytest.fixture
async def real_server(aiohttp_server, tmp_path, shop_page: str):
    return await start_server(aiohttp_server, tmp_path, allowed_origins=[shop_page])


def responses(page: Page):
    return page.locator(".rw-from-response .rw-message:not(.rw-typing-indication) .rw-response")


def customer_bubbles(page: Page):
    return page.locator(".rw-from-client .rw-client")


async def say(page: Page, text: str) -> None:
    await page.locator(".rw-new-message").fill(text)
    await page.locator(".rw-new-message").press("Enter")


async def stay_on_this_machine(route: Route) -> None:
    # The bundle's stylesheet imports a web font from Google: nothing leaves the machine.
    if route.request.url.startswith("http://127.0.0.1:"):
        await route.continue_()
    else:
        await route.abort()


async def test_greeting_quick_replies_tracked_order_and_reload(
    real_server, shop_page: str, browser_page: Page
):
    page = browser_page
    await page.route("**/*", stay_on_this_machine)
    server = str(real_server.make_url("")).rstrip("/")
    await page.goto(f"{shop_page}/?server={server}")
    await page.locator(".rw-launcher").click()
    await expect(page.locator(".rw-conversation-container")).to_be_visible()

    await say(page, "hello")  # the finding: answered, and nothing was shown
    await expect(customer_bubbles(page)).to_have_text(["hello"])
    await expect(responses(page)).to_have_count(1, timeout=SHOWN)
    await expect(responses(page).first).to_contain_text("How can I help?")

    buttons = page.locator(".rw-replies .rw-reply")
    await expect(buttons.filter(has_text="Talk to a person")).to_be_visible()
    await buttons.filter(has_text="Track my order").click()  # sends its payload, /track_order
    await expect(customer_bubbles(page).last).to_have_text("Track my order")
    await expect(buttons).to_have_count(0)  # chosen: the client hides them
    await expect(responses(page)).to_have_count(2, timeout=SHOWN)
    await expect(responses(page).last).to_contain_text("order number")

    await say(page, "maria@example.com")
    await expect(responses(page)).to_have_count(3, timeout=SHOWN)
    await expect(responses(page).last).to_contain_text("order number")
    session_id = await page.evaluate("() => JSON.parse(localStorage.chat_session).session_id")
    shown = await page.locator(".rw-message").all_text_contents()

    # A reload: the client shows what it kept in localStorage and asks to resume its session.
    await page.reload()
    await expect(page.locator(".rw-message")).to_have_text(shown)
    await say(page, "#1001")  # the server still knows the email given before the reload
    await expect(responses(page)).to_have_count(4, timeout=SHOWN)
    answer = responses(page).last
    await expect(answer).to_contain_text("USPS")
    await expect(answer).to_contain_text(TRACKING)
    await expect(answer).to_contain_text("in transit")
    assert await page.evaluate("() => JSON.parse(localStorage.chat_session).session_id") == (
        session_id
    )

    stored = await real_server.app[SERVICE].messages_since(session_id)
    said = [m for m in stored if m.sender != "customer"]
    assert len(said) == 4  # every answer the server sent was shown, each once
    assert [m.text for m in stored if m.sender == "customer"] == [
        "hello",
        "/track_order",
        "maria@example.com",
        "#1001",
    ]
