"""The Shopify theme snippet (integrations/shopify_theme/chat-widget.liquid), rendered by a
Liquid engine as Shopify renders it, embeds the widget and, for a logged-in customer, a
signed identity that the chat server accepts: the customer is known without proving an
order, and nobody can change the email in the page without the secret.

python-liquid has no ``hmac_sha256`` (a Shopify filter); it is registered here as
Shopify documents it: the hex HMAC-SHA256 of the input, keyed by the argument.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from liquid import Environment

from chatserver.identity import verify_identity
from tests.chatserver.live import Customer, start_server, text_of

SNIPPET = (
    Path(__file__).resolve().parents[2] / "integrations" / "shopify_theme" / "chat-widget.liquid"
)
SECRET = "a-long-random-identity-secret-of-the-shop-0123456789"


def _hmac_sha256(value: object, key: object) -> str:
    return hmac.new(str(key).encode(), str(value).encode(), hashlib.sha256).hexdigest()


def render(customer: dict | None = None, settings: dict | None = None, shop: dict | None = None):
    env = Environment()
    env.filters["hmac_sha256"] = _hmac_sha256
    template = env.from_string(SNIPPET.read_text())
    html = template.render(
        customer=customer,
        settings={"chatbot_server": "https://chat.shop.example/", **(settings or {})},
        shop=shop or {},
    )
    return dict(re.findall(r'(data-[a-z-]+|src)="([^"]*)"', html)), html


def identity(attrs: dict[str, str]) -> dict[str, object]:
    return {
        "email": attrs["data-identity-email"],
        "expires": int(attrs["data-identity-expires"]),
        "signature": attrs["data-identity-signature"],
    }


def test_a_logged_in_customer_gets_an_identity_the_server_verifies():
    before = datetime.now(UTC).timestamp()
    attrs, _ = render({"email": " Maria@Example.com "}, {"chatbot_identity_secret": SECRET})
    assert attrs["src"] == "https://chat.shop.example/static/widget.js"
    assert attrs["data-server"] == "https://chat.shop.example"
    assert attrs["data-identity-email"] == "maria@example.com"
    assert before + 7200 - 5 <= int(attrs["data-identity-expires"]) <= before + 7200 + 5
    assert verify_identity(identity(attrs), SECRET, datetime.now(UTC)) == "maria@example.com"


def test_the_identity_cannot_be_changed_reused_later_or_checked_with_another_secret():
    attrs, _ = render({"email": "maria@example.com"}, {"chatbot_identity_secret": SECRET})
    now = datetime.now(UTC)
    forged = {**identity(attrs), "email": "james@example.com"}
    assert verify_identity(forged, SECRET, now) is None
    assert verify_identity(identity(attrs), "another-secret", now) is None
    later = datetime.fromtimestamp(int(attrs["data-identity-expires"]) + 1, UTC)
    assert verify_identity(identity(attrs), SECRET, later) is None


@pytest.mark.parametrize(
    ("customer", "settings"),
    [
        (None, {"chatbot_identity_secret": SECRET}),  # a visitor
        ({"email": "maria@example.com"}, {}),  # no secret configured
    ],
)
def test_no_identity_without_a_logged_in_customer_and_a_secret(customer, settings):
    attrs, html = render(customer, settings)
    assert "data-identity-email" not in attrs and "maria" not in html
    assert attrs["src"].endswith("/static/widget.js")


def test_the_shop_metafield_holds_the_secret_before_the_theme_setting():
    shop = {"metafields": {"chatbot": {"identity_secret": {"value": SECRET}}}}
    attrs, _ = render({"email": "maria@example.com"}, {"chatbot_identity_secret": "other"}, shop)
    assert verify_identity(identity(attrs), SECRET, datetime.now(UTC)) == "maria@example.com"


def test_a_trailing_slash_in_the_server_address_is_dropped():
    attrs, _ = render(None, {"chatbot_server": "https://chat.shop.example"})
    assert attrs["src"] == "https://chat.shop.example/static/widget.js"


def test_theme_settings_are_escaped_into_the_tag():
    attrs, html = render(None, {"chatbot_title": 'Help "now" <b>', "chatbot_color": "#5b3cc4"})
    assert 'data-title="Help &quot;now&quot; &lt;b&gt;"' in html
    assert attrs["data-color"] == "#5b3cc4"


async def test_the_chat_server_knows_the_logged_in_customer_without_asking(
    aiohttp_server, tmp_path
):
    server = await start_server(aiohttp_server, tmp_path, identity_secret=SECRET)
    attrs, _ = render({"email": "maria@example.com"}, {"chatbot_identity_secret": SECRET})
    customer, visitor = Customer(str(server.make_url("/"))), Customer(str(server.make_url("/")))
    try:
        await customer.open()
        said = text_of(await customer.turn("has my order shipped?", identity=identity(attrs)))
        await visitor.open()
        forged = {**identity(attrs), "email": "james@example.com"}
        asked = text_of(await visitor.turn("has my order shipped?", identity=forged))
    finally:
        await customer.aclose()
        await visitor.aclose()
    assert "#1001" in said and "USPS" in said  # maria's order, no question asked
    assert "#100" not in asked and "email" in asked.lower()  # a forgery proves nothing
