"""The pure step: synchronous, no I/O, effects named for the runner."""

from __future__ import annotations

import pytest

from chatserver.dialogue import (
    ActionFailed,
    CheckAvailability,
    DialogueState,
    HandOff,
    LookupOrder,
    LookupOrders,
    Reply,
    SubscriptionsFound,
    UserMessage,
)
from chatserver.dialogue.engine import step
from chatserver.policy import load_policy
from integrations.models import Subscription
from tests.chatserver.harness import NOW

POLICY = load_policy()


def said(text, intent=None, entities=(), **kw):
    return UserMessage(text, NOW, intent=intent, confidence=0.9 if intent else 0.1,
                       escalate=intent is None, entities=entities, **kw)  # fmt: skip


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([said("where is it", "track_order")], Reply),
        ([said("where is it", "track_order"), said("maria@example.com #1001")],
         LookupOrder("#1001", "maria@example.com", proof=True)),
        ([said("where is it", "track_order"), said("1001"), said("maria@example.com")],
         LookupOrder("#1001", "maria@example.com", proof=True)),
        ([said("where is it", "track_order", identity_email="maria@example.com")],
         LookupOrders("maria@example.com")),
        ([said("order #1001 please", "track_order", (("order_number", "#1001"),),
               identity_email="maria@example.com")],
         LookupOrder("#1001", "maria@example.com")),
    ],
)  # fmt: skip
def test_the_step_asks_the_runner_only_once_the_order_can_be_proven(messages, expected):
    state = DialogueState()
    for message in messages:
        state, actions = step(state, message, POLICY)
    if isinstance(expected, type):
        assert all(isinstance(a, expected) for a in actions)
        assert actions[0].template == "identity/ask_both"
    else:
        assert actions == [expected]


def test_a_failed_outside_call_becomes_a_holding_answer_and_a_hand_off():
    state, _ = step(DialogueState(), said("where", "track_order", identity_email="a@b.co"), POLICY)
    state, actions = step(state, ActionFailed("LookupOrders", "shopify: 503"), POLICY)
    assert [type(a) for a in actions] == [HandOff, CheckAvailability]  # who can take it
    assert [r.template for r in state.handoff.held] == ["common/holding"]  # said with the route
    assert actions[0].reason == "integration_failure"
    assert state.intent is None and state.escalated


def test_state_round_trips_through_json():
    state, _ = step(DialogueState(), said("where", "track_order"), POLICY)
    state, _ = step(state, said("maria@example.com"), POLICY)
    assert DialogueState.from_json(state.to_json()) == state


TEA = Subscription("gid://shopify/SubscriptionContract/2", "ACTIVE", "Green tea, 250 g monthly")
COFFEE = Subscription(
    "gid://shopify/SubscriptionContract/1", "ACTIVE", "Coffee beans, 1 kg monthly"
)


@pytest.mark.parametrize(
    ("answer", "template", "title"),
    [
        ("the tea one", "cancel_subscription/confirm", TEA.title),
        ("coffee beans please", "cancel_subscription/confirm", COFFEE.title),
        ("both of them, monthly", "cancel_subscription/which", None),  # not one: asked again
    ],
)
def test_a_subscription_can_be_named_in_words(answer, template, title):
    """An email has no buttons: "the tea one" picks the subscription by its title."""
    start = said("cancel my subscription", "cancel_subscription", identity_email="a@b.co")
    state, _ = step(DialogueState(), start, POLICY)
    state, actions = step(state, SubscriptionsFound((COFFEE, TEA)), POLICY)
    assert actions[0].template == "cancel_subscription/which"
    state, _ = step(state, said(answer, identity_email="a@b.co"), POLICY)
    state, actions = step(state, SubscriptionsFound((COFFEE, TEA)), POLICY)
    replies = [a for a in actions if isinstance(a, Reply)]
    assert replies[-1].template == template
    assert replies[-1].context.get("title") == title
