"""Every template's email wording: renders for a representative context, reads as an email."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from chatserver.dialogue.actions import Reply
from chatserver.policy import load_policy
from chatserver.replies import DEFAULT_TEMPLATES, Renderer

RENDERER = Renderer(load_policy())
WHEN = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
PARCEL = {
    "items": ["Wrap dress"],
    "carrier": "usps",
    "number": "9400111899223456789017",
    "url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223456789017",
    "description": "Arrived at facility",
    "expected": WHEN,
    "delivered_at": WHEN,
    "shipped_at": WHEN,
    "outcome": "in_transit",
    "trouble": True,
}
# One context that every reply template can render from.
CONTEXT = {
    "order": "#1001",
    "items": ["Wrap dress"],
    "item": "Wrap dress",
    "window": 30,
    "title": "Coffee beans, 1 kg monthly",
    "next_billing": WHEN,
    "email": "maria@example.com",
    "address": "9 Lake View Dr, Austin TX 78701",
    "new_address": "12 Oak St, Denver CO 80203",
    "subscriptions": [SimpleNamespace(title="Coffee beans"), SimpleNamespace(title="Tea")],
    "orders": [SimpleNamespace(name="#1001"), SimpleNamespace(name="#1006")],
    "open_now": True,
    "first": True,
    "answered": False,
    "any_order": False,
    "remedy": "escalate",
    "parcel": PARCEL,
    "parcels": [PARCEL, {**PARCEL, "outcome": "delivered"}],
    "placed": WHEN,
    "ship_by": WHEN,
    "delivered_at": WHEN,
    "processing_days": 5,
    "bank_days": "3-5",
    "total": "89.00",
    "currency": "USD",
    "reset": "https://shop.example/account/login#recover",
    "account": "https://shop.example/account",
    "link": "https://shop.example/account/orders",
    "agent": "Dana",
    "ticket": 42,
    # a hand-off on its way: where the answer comes from, and when the team is back
    "route": "person",
    "to": "person",
    "again": False,
    "back": WHEN,
    "wait": 5,
    # a help-center answer
    "url": "https://help.example/hc/en-us/articles/1-Gift-cards",
    "heading": "Buying a gift card",
    "passage": "We sell gift cards:\n- from $25\n- up to $500",
    "paragraph": "We sell gift cards: from $25; up to $500.",
}
# Templates that pick items from the order's line items rather than naming them.
LINE_ITEMS = {"items": [SimpleNamespace(title="Wrap dress"), SimpleNamespace(title="Belt")]}
# (status_email/body is the e-mail of an order's status, not a reply in a conversation.)
NOT_REPLIES = {
    "_email",
    "buttons",
    "agent/summary",
    "track_order/_parcel",
    "handoff/_back",
    "status_email/body",
}
TEMPLATES = sorted(
    name
    for path in DEFAULT_TEMPLATES.rglob("*.j2")
    if (name := path.relative_to(DEFAULT_TEMPLATES).with_suffix("").as_posix()) not in NOT_REPLIES
)
CHAT_ONLY = {name for name in TEMPLATES if name.startswith("handoff/") and name != "handoff/closed"}
CHAT_ONLY |= {"articles/did_it_help"}  # an email asks nothing after an article answer


# Chat wording that reads badly in an email.
CHAT_WORDING = ("Done:", "here shortly", "write here", "write to us here", "confirm here",
                "details here", "click", "button", "chatting", "tell me")  # fmt: skip


def context_for(template: str, **context: object) -> dict[str, object]:
    return {**CONTEXT, **(LINE_ITEMS if template.endswith("/which_item") else {}), **context}


def email_of(template: str, **context: object) -> str:
    return RENDERER.render(Reply(template, context_for(template, **context)), "email").text


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_as_an_email(template):
    text = email_of(template)
    assert text and text[0].isupper()
    if template in CHAT_ONLY:  # said only in the live chat, never emailed
        return
    chat = RENDERER.render(Reply(template, context_for(template)), "chat").text
    assert text != chat, "no email wording of its own"
    for words in CHAT_WORDING:
        assert words not in text


@pytest.mark.parametrize(
    ("template", "context", "words"),
    [
        ("cancel_subscription/done", {}, ['Your subscription "Coffee beans, 1 kg monthly" is now']),
        ("cancel_order/kept", {}, ["order #1001", "reply to this email"]),
        ("basics/goodbye", {}, ["Thank you for getting in touch"]),
        ("missing_item/wait", {}, ["reply to this email"]),
        ("identity/no_match", {}, ["both again", "email address", "order number"]),
        ("identity/ask_number", {"any_order": True}, ["any order you've placed"]),
        ("cancel_subscription/which", {}, ['"Coffee beans", "Tea"']),
    ],
)
def test_key_email_wordings(template, context, words):
    text = email_of(template, **context)
    for word in words:
        assert word in text
