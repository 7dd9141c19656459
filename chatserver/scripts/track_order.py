"""track_order, the case study: find the order, read its parcels, ask the carriers, answer.

Outcomes (``templates/track_order/<outcome>.j2``): not_shipped, not_shipped_late,
in_transit, late, out_for_delivery, delivered, exception, not_with_carrier,
unknown_carrier, cancelled, and ``several`` (one line per parcel, same outcomes).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chatserver.dialogue.actions import Action, Button, HandOff
from chatserver.dialogue.state import IF, DialogueState
from chatserver.policy import Policy
from chatserver.scripts.common import (
    HUMAN,
    Out,
    escalate,
    finish,
    need_order,
    need_trackings,
    now_of,
    parcels,
    say,
)
from integrations.models import Fulfillment, Order, Tracking, TrackingStatus

try:  # the carriers' own public tracking pages, when the carrier gave none
    from integrations.carriers import tracking_url
except ImportError:  # pragma: no cover - the carriers package is being written in parallel
    tracking_url = None

__all__ = ["parcel_view", "track_order"]

S = TrackingStatus
_WAITING_FOR_CARRIER = {S.LABEL_CREATED, S.NOT_FOUND, S.UNKNOWN}
_MOVING = {S.IN_TRANSIT, S.DELAYED}
_TROUBLE = {S.EXCEPTION, S.RETURNED_TO_SENDER, S.CANCELLED}
_HELD = {S.AVAILABLE_FOR_PICKUP, S.DELIVERY_ATTEMPTED}


def parcel_view(
    order: Order,
    fulfillment: Fulfillment,
    number: str,
    shop_url: str | None,
    tracking: Tracking | None,
    policy: Policy,
    now: datetime,
) -> dict[str, Any]:
    """Everything a template says about one parcel, and its outcome."""
    titles = {li.id: li.title for li in order.line_items}
    items = [titles[i] for i in fulfillment.line_item_ids if i in titles]
    carrier = tracking.carrier if tracking else None
    url = (tracking.url if tracking else None) or shop_url
    if url is None and carrier and tracking_url is not None:
        url = tracking_url(carrier, number)
    shipped = fulfillment.in_transit_at or fulfillment.created_at
    view: dict[str, Any] = {
        "items": items,
        "carrier": carrier,
        "number": number,
        "url": url,
        "description": tracking.description if tracking else "",
        "expected": None,
        "delivered_at": tracking.delivered_at if tracking else None,
        "shipped_at": shipped,
    }
    if tracking is None:
        return {**view, "outcome": "unknown_carrier"}
    status = tracking.status
    if status == S.DELIVERED:
        return {
            **view,
            "outcome": "delivered",
            "delivered_at": tracking.delivered_at or fulfillment.delivered_at,
        }
    if status == S.OUT_FOR_DELIVERY:
        return {**view, "outcome": "out_for_delivery", "expected": tracking.estimated_delivery}
    if status in _TROUBLE:
        return {**view, "outcome": "exception", "trouble": True}
    if status in _HELD:
        return {**view, "outcome": "exception", "trouble": False}
    if status in _WAITING_FOR_CARRIER:
        return {**view, "outcome": "not_with_carrier"}
    expected = tracking.estimated_delivery or policy.add_business_days(
        shipped, policy.transit(carrier, tracking.service)
    )
    late_after = policy.add_business_days(expected, policy.delay_threshold_days)
    if now > late_after:
        return {**view, "outcome": "late", "expected": expected}
    return {**view, "outcome": "in_transit", "expected": expected}


def _not_shipped(state: DialogueState, policy: Policy, order: Order) -> Out:
    now = now_of(state)
    ship_by = policy.add_business_days(order.processed_at, policy.processing_days)
    context = {"order": order.name, "placed": order.processed_at, "ship_by": ship_by}
    if policy.business_days_between(order.processed_at, now) <= policy.processing_days:
        return finish(state, say("track_order/not_shipped", **context))
    if state.pending[:1] == (IF + "cancel_order",) and state.facts.channel == "chat":
        # "cancel it if you can't ship": it is late, so the cancellation they asked for
        # comes next (with its own yes/no); a person is brought in if they keep it.
        state = replace(state, pending=("cancel_order", *state.pending[1:]))
        return finish(state, say("track_order/not_shipped_late", cancel_next=True, **context))
    note = f"{order.name} paid {order.processed_at:%Y-%m-%d}, not shipped after {policy.processing_days} business days"
    return escalate(
        state,
        policy,
        "not_shipped_late",
        template="track_order/not_shipped_late",
        note=note,
        **context,
    )


def _late_actions(policy: Policy, order: Order, late: list[dict[str, Any]]) -> list[Action]:
    if not late or policy.when_late == "apologise":
        return []
    what = ", ".join(f"{p['carrier']} {p['number']}" for p in late)
    return [
        HandOff("late_shipment", f"{order.name}: late parcel(s) {what}; policy: {policy.when_late}")
    ]


def track_order(state: DialogueState, policy: Policy) -> Out:
    order = need_order(state, policy)
    if not isinstance(order, Order):
        return order
    if order.is_cancelled:
        return finish(state, say("track_order/cancelled", order=order.name))
    if not parcels(order):
        return _not_shipped(state, policy, order)
    trackings = need_trackings(state, order)
    if not isinstance(trackings, list):
        return trackings
    now = now_of(state)
    views = [
        parcel_view(order, f, number, url, tracking, policy, now)
        for (f, number, _, url), tracking in zip(parcels(order), trackings, strict=True)
    ]
    late = [v for v in views if v["outcome"] == "late"]
    trouble = [v for v in views if v.get("trouble")]
    buttons: list[Button] = []
    if any(v["outcome"] == "delivered" for v in views):
        buttons.append(Button("/missing_item", label="not_received"))
    if late or trouble:
        buttons.append(HUMAN)
    context = {"order": order.name, "remedy": policy.when_late}
    if len(views) == 1:
        reply = say(f"track_order/{views[0]['outcome']}", *buttons, parcel=views[0], **context)
    else:
        reply = say("track_order/several", *buttons, parcels=views, **context)
    actions: list[Action] = [reply, *_late_actions(policy, order, late)]
    if trouble and not late:
        what = ", ".join(f"{p['carrier']} {p['number']}: {p['description']}" for p in trouble)
        actions.append(HandOff("shipment_exception", f"{order.name}: {what}"))
    state = state.noting("answered with the tracking")
    if any(isinstance(a, HandOff) for a in actions):
        state = replace(state, escalated=True)
    return finish(state, *actions)
