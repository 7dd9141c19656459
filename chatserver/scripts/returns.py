"""return_item and refund_status: the return window, starting a return, where the money is."""

from __future__ import annotations

from datetime import datetime

from chatserver.dialogue.actions import Button, RequestReturn
from chatserver.dialogue.state import DialogueState
from chatserver.policy import Policy
from chatserver.scripts.common import HUMAN, YES_NO, Out, ask, finish, need_order, now_of, say
from chatserver.scripts.problems import delivered_at, pick_item
from integrations.models import LineItem, Order

__all__ = ["refund_status", "return_item"]


def return_item(state: DialogueState, policy: Policy) -> Out:
    order = need_order(state, policy)
    if not isinstance(order, Order):
        return order
    context = {"order": order.name, "window": policy.return_window_days}
    if state.facts.return_request is not None:
        return finish(state.noting("started a return"), say("return_item/started", **context))
    if not order.is_fulfilled:
        return finish(
            state,
            say(
                "return_item/not_shipped", Button("/cancel_order", label="cancel_order"), **context
            ),
        )
    item = pick_item(state, order, "return_item/which_item", window=policy.return_window_days)
    if not isinstance(item, LineItem):
        return item
    state = state.with_slots(item=item.id)
    when = delivered_at(state, order, item)
    if when is not None and not isinstance(when, datetime):
        return when
    context |= {"item": item.title, "delivered_at": when}
    if when is None:
        return finish(state, say("return_item/not_delivered", **context))
    if (now_of(state) - when).days > policy.return_window_days:
        return finish(
            state.noting("outside the return window"),
            say("return_item/outside_window", HUMAN, **context),
        )
    if state.slots.confirmed is None:
        return ask(state, "confirm", "return_item/confirm", *YES_NO, **context)
    if not state.slots.confirmed:
        return finish(state, say("return_item/kept", **context))
    note = f"Requested by the customer in {state.facts.channel}"
    return state.noting("requested a return"), [
        RequestReturn(order.id, ((item.id, item.quantity),), "OTHER", note)
    ]


def refund_status(state: DialogueState, policy: Policy) -> Out:
    order = need_order(state, policy)
    if not isinstance(order, Order):
        return order
    context = {
        "order": order.name,
        "processing_days": policy.refund_processing_days,
        "bank_days": policy.refund_bank_days,
        "total": order.total_price,
        "currency": order.currency,
    }
    status = order.financial_status.upper()
    if status in {"REFUNDED", "PARTIALLY_REFUNDED"}:
        outcome = "refunded" if status == "REFUNDED" else "partially_refunded"
        return finish(state, say(f"refund_status/{outcome}", **context))
    if order.is_cancelled:
        return finish(state, say("refund_status/cancelled", HUMAN, **context))
    return finish(state, say("refund_status/none_yet", HUMAN, **context))
