"""missing_item and damaged_item: identify the order and the item, check delivery, follow policy.

The remedy (reship, refund, escalate) comes from ``returns.when_missing`` /
``returns.when_damaged``. No API ships or refunds for us, so every remedy is handed to
an agent with a summary; the customer is told what the policy promises.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from chatserver.dialogue.actions import Button
from chatserver.dialogue.state import DialogueState
from chatserver.policy import Policy
from chatserver.scripts.common import (
    YES_NO,
    Out,
    ask,
    choose_payload,
    escalate,
    finish,
    need_order,
    need_trackings,
    parcels,
    say,
)
from chatserver.scripts.track_order import track_order
from integrations.models import LineItem, Order, TrackingStatus

__all__ = ["damaged_item", "delivered_at", "missing_item", "pick_item"]

_WORD = re.compile(r"[a-z][a-z]+")  # "pour-over" and "pour over" read the same
_VAGUE = frozenset({"set", "size", "and", "with", "the", "pack", "pair"})


def _title_words(title: str) -> set[str]:
    """The words of a product's name (before its variant) that identify it."""
    return set(_WORD.findall(title.split(",")[0].lower())) - _VAGUE


def pick_item(state: DialogueState, order: Order, template: str, **context: Any) -> LineItem | Out:
    """The item the customer means: the only one, the chosen one, or a question with buttons
    (``context``: more for the question's template)."""
    items = order.line_items
    chosen = [li for li in items if li.id == state.slots.item]
    if chosen:
        return chosen[0]
    if len(items) == 1:
        return items[0]
    words = set(_WORD.findall(f"{state.facts.text} {state.slots.topic}".lower()))
    words |= {w.removesuffix("s") for w in words}
    named = [li for li in items if _title_words(li.title) & words]
    if len(named) == 1:
        return named[0]
    buttons = [Button(choose_payload(item=li.id), text=li.title) for li in items]
    return ask(state, "item", template, *buttons, order=order.name, items=items, **context)


def delivered_at(state: DialogueState, order: Order, item: LineItem) -> datetime | Out | None:
    """When the parcel with ``item`` was delivered (None: not yet), asking the carrier if needed."""
    shipping = [f for f, *_ in parcels(order) if item.id in f.line_item_ids or not f.line_item_ids]
    known = [f.delivered_at for f in shipping if f.delivered_at]
    if known:
        return max(known)
    if not shipping:
        return None
    trackings = need_trackings(state, order)
    if not isinstance(trackings, list):
        return trackings
    for (f, *_), tracking in zip(parcels(order), trackings, strict=True):
        if f in shipping and tracking is not None and tracking.status == TrackingStatus.DELIVERED:
            return tracking.delivered_at or f.created_at
    return None


def _report(state: DialogueState, policy: Policy, intent: str, remedy: str) -> Out:
    order = need_order(state, policy)
    if not isinstance(order, Order):
        return order
    item = pick_item(state, order, f"{intent}/which_item")
    if not isinstance(item, LineItem):
        return item
    state = state.with_slots(item=item.id)
    when = delivered_at(state, order, item)
    if when is not None and not isinstance(when, datetime):
        return when
    context = {"order": order.name, "item": item.title, "delivered_at": when}
    if when is None and intent == "missing_item":
        if state.facts.channel == "email":
            return finish(state, say("missing_item/not_delivered", **context))
        if state.slots.confirmed is None:  # "Shall I check the tracking?" — "yes" must work
            return ask(state, "confirm", "missing_item/not_delivered", *YES_NO, **context)
        if state.slots.confirmed:
            return track_order(replace(state, intent="track_order"), policy)
        return finish(state, say("missing_item/wait", **context))
    state = state.noting(f"{intent}: {item.title}")
    note = f"{order.name}: {item.title} ({item.quantity}x) reported {intent.replace('_', ' ')}; policy: {remedy}"
    return escalate(
        state, policy, f"{intent}_{remedy}", template=f"{intent}/{remedy}", note=note, **context
    )


def missing_item(state: DialogueState, policy: Policy) -> Out:
    return _report(state, policy, "missing_item", policy.when_missing)


def damaged_item(state: DialogueState, policy: Policy) -> Out:
    return _report(state, policy, "damaged_item", policy.when_damaged)
