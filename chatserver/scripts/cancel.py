"""cancel_order and cancel_subscription: find it, confirm with yes/no, cancel through Shopify."""

from __future__ import annotations

import re

from chatserver.dialogue.actions import Button, CancelOrder, CancelSubscription, LookupSubscriptions
from chatserver.dialogue.state import DialogueState
from chatserver.policy import Policy
from chatserver.scripts.common import (
    HUMAN,
    YES_NO,
    Out,
    ask,
    choose_payload,
    escalate,
    finish,
    need_order,
    say,
)
from integrations.models import Order, Subscription

__all__ = ["cancel_order", "cancel_subscription"]

_LIVE = {"ACTIVE", "PAUSED", "FAILED", "STALE"}
_WORD = re.compile(r"[a-z][a-z]+")


def _named(state: DialogueState, subscriptions: list[Subscription]) -> list[Subscription]:
    """The one subscription the customer names ("the tea one"), by the words of its title
    before any comma; none when no title or several match (an email has no buttons)."""
    words = set(_WORD.findall(f"{state.facts.text} {state.slots.topic}".lower()))
    words |= {w.removesuffix("s") for w in words}
    named = [s for s in subscriptions if set(_WORD.findall(s.title.split(",")[0].lower())) & words]
    return named if len(named) == 1 else []


def cancel_order(state: DialogueState, policy: Policy) -> Out:
    order = need_order(state, policy)
    if not isinstance(order, Order):
        return order
    context = {"order": order.name, "window": policy.return_window_days}
    if state.facts.cancelled:
        return finish(state.noting(f"cancelled {order.name}"), say("cancel_order/done", **context))
    if order.is_cancelled:
        if state.slots.confirmed:  # cancelled by a run of this turn cut short (a crash)
            return finish(
                state.noting(f"cancelled {order.name}"), say("cancel_order/done", **context)
            )
        return finish(state, say("cancel_order/already_cancelled", **context))
    if order.is_fulfilled:
        return finish(
            state, say("cancel_order/fulfilled", Button("/return_item", label="return"), **context)
        )
    if policy.cancellation == "never":
        return escalate(
            state,
            policy,
            "cancel_requested",
            template="cancel_order/not_allowed",
            note=f"wants to cancel {order.name}",
            **context,
        )
    if state.slots.confirmed is None:
        items = [li.title for li in order.line_items]
        money = state.facts.asked_about_money
        return ask(
            state, "confirm", "cancel_order/confirm", *YES_NO, items=items, money=money, **context
        )
    if not state.slots.confirmed:
        return finish(state, say("cancel_order/kept", **context))
    return state.noting(f"cancelling {order.name}"), [CancelOrder(order.id)]


def cancel_subscription(state: DialogueState, policy: Policy) -> Out:
    # Subscriptions are as private as orders: the customer proves an order first
    # (or is already verified by the email channel or a signed identity).
    email = state.slots.verified_email
    if email is None:
        order = need_order(state, policy, any_order=True)
        if not isinstance(order, Order):
            return order
        email = state.slots.verified_email or order.email or ""
    facts = state.facts
    if facts.subscription_cancelled is not None:
        sub = facts.subscription_cancelled
        return finish(
            state.noting(f"cancelled subscription {sub.title}"),
            say("cancel_subscription/done", title=sub.title),
        )
    if facts.subscriptions is None:
        return state.noting("looked up subscriptions"), [LookupSubscriptions(email)]
    done = [s for s in facts.subscriptions if s.id == state.slots.item and s.status == "CANCELLED"]
    if done and state.slots.confirmed:  # cancelled by a run of this turn cut short (a crash)
        return finish(
            state.noting(f"cancelled subscription {done[0].title}"),
            say("cancel_subscription/done", title=done[0].title),
        )
    live = [s for s in facts.subscriptions if s.status.upper() in _LIVE]
    if not live:
        return finish(state, say("cancel_subscription/none", HUMAN, email=email))
    chosen = [s for s in live if s.id == state.slots.item] or _named(state, live)
    if not chosen and len(live) > 1:
        buttons = [Button(choose_payload(item=s.id), text=s.title) for s in live]
        return ask(state, "item", "cancel_subscription/which", *buttons, subscriptions=live)
    sub = chosen[0] if chosen else live[0]
    state = state.with_slots(item=sub.id)
    if state.slots.confirmed is None:
        return ask(
            state,
            "confirm",
            "cancel_subscription/confirm",
            *YES_NO,
            title=sub.title,
            next_billing=sub.next_billing_date,
            money=facts.asked_about_money,
        )
    if not state.slots.confirmed:
        return finish(state, say("cancel_subscription/kept", title=sub.title))
    return state, [CancelSubscription(sub.id)]
