"""A real accessibility checker, axe-core (npm, pinned in scripts/test-setup.sh), on the
widget closed, open and at phone size, and on the agent console; and the behaviour axe
cannot see: the phone-size panel is modal (focus cannot reach the page behind it),
replies that arrive while the panel is closed and the typing indicator are announced.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import FakeServer
from tests.browser.test_console import open_console
from tests.browser.test_widget import LAUNCHER, PANEL, open_widget, say

pytestmark = pytest.mark.browser

AXE = (
    Path(__file__).resolve().parents[2]
    / "build"
    / "js"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)
PHONE = {"width": 390, "height": 844}
STANDARDS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


async def violations(page: Page) -> list[str]:
    """What axe-core finds on the page as it is now (open shadow roots included)."""
    if not AXE.is_file():
        pytest.skip("axe-core is not installed (run scripts/test-setup.sh)")
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    found = await page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v =>
                v.id + ': ' + v.help + ' -- ' + v.nodes.map(n => n.target.join(' ')).join(' | '));
        }""",
        STANDARDS,
    )
    for line in found:
        print("axe:", line)  # the whole finding, for whoever fixes it
    return list(found)


async def test_the_widget_closed_and_open_passes_axe(fake_server: FakeServer, browser_page: Page):
    page = browser_page
    await page.goto(fake_server.url + "/")
    await expect(page.locator(LAUNCHER)).to_be_visible()
    assert await violations(page) == []
    await open_widget(page, fake_server.url)
    await say(page, "menu")  # messages, times and suggested replies on show
    await expect(page.get_by_role("group", name="Suggested replies")).to_be_visible()
    assert await violations(page) == []


async def test_the_widget_at_phone_size_passes_axe_and_is_modal(
    fake_server: FakeServer, browser_page: Page
):
    page = browser_page
    await page.set_viewport_size(PHONE)
    await open_widget(page, fake_server.url)
    await say(page, "hello")
    assert await violations(page) == []
    dialog = page.get_by_role("dialog")
    assert await dialog.get_attribute("aria-modal") == "true"
    # Tab from the last control comes back into the panel, never to the page behind it
    for _ in range(12):
        await page.keyboard.press("Tab")
        inside = await page.evaluate(
            "() => document.activeElement && document.activeElement.id === 'chatbot-widget-host'"
        )
        assert inside, "focus left the chat panel"
    assert await page.evaluate("() => document.body.inert") is True
    await page.keyboard.press("Escape")
    await expect(page.locator(PANEL)).to_be_hidden()
    assert await page.evaluate("() => document.body.inert") is False


async def test_replies_while_closed_and_typing_are_announced(
    fake_server: FakeServer, browser_page: Page
):
    page = browser_page
    await open_widget(page, fake_server.url)
    await say(page, "slow hello")
    announcer = page.locator("#chatbot-widget-host .announce")
    typing = page.locator("#chatbot-widget-host .typing")
    await expect(typing).to_be_visible()
    await expect(typing).to_have_attribute("role", "status")
    await expect(typing).to_have_text("The assistant is typing…")
    await page.keyboard.press("Escape")  # closed before the answer arrives
    fake_server.chat.release.set()
    await expect(announcer).to_have_text("New message from the assistant: You said: slow hello")
    assert await announcer.get_attribute("aria-live") == "polite"


async def test_the_console_passes_axe(fake_server: FakeServer, browser_page: Page):
    page = browser_page
    await open_console(page, fake_server.url)
    await expect(page.locator(".conv")).to_have_count(3)
    assert await violations(page) == []
    await page.locator(".conv").first.click()
    await expect(page.locator("#transcript .m")).to_have_count(3)
    assert await violations(page) == []


def _luminance(rgb: str) -> float:
    r, g, b = (int(v) / 255 for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


async def test_the_message_box_edge_and_the_times_are_readable(
    fake_server: FakeServer, browser_page: Page
):
    page = browser_page
    await open_widget(page, fake_server.url)
    await say(page, "hello")
    await page.locator(".log").focus()  # the message box unfocused
    colours = await page.evaluate(
        """() => {
            const root = document.getElementById('chatbot-widget-host').shadowRoot;
            const style = (sel) => getComputedStyle(root.querySelector(sel));
            return {edge: style('textarea').borderTopColor, field: style('form').backgroundColor,
                    time: style('.msg .meta').color, page: style('.panel').backgroundColor};
        }"""
    )
    assert contrast(colours["edge"], colours["page"]) >= 3  # WCAG 1.4.11, a control's boundary
    assert contrast(colours["time"], colours["page"]) >= 4.5  # WCAG 1.4.3, small text
