"""change_address, shipping_info, payment_issue, invoice, account_help: answers from the
policy and the order, or a hand-off with a summary when a person has to act."""

from __future__ import annotations

import re

from chatserver.dialogue.slots import as_address
from chatserver.dialogue.state import DialogueState
from chatserver.policy import Policy
from chatserver.scripts.common import HUMAN, Out, ask, escalate, finish, need_order, say
from integrations.models import Order

__all__ = ["account_help", "change_address", "invoice", "payment_issue", "shipping_info"]

# A change to what was ordered, not where it goes ("can I change the size to M?"): only a
# person can make it, while the order has not shipped.
_ITEM_CHANGE = re.compile(r"\b(size|colou?r|quantity|variant|model)\b", re.IGNORECASE)


def change_address(state: DialogueState, policy: Policy) -> Out:
    slots = state.slots
    if slots.new_address is None and state.awaiting in (None, "identity"):
        # The address may come with the request ("send #1005 to 12 Oak St…") or the proof.
        address = as_address(state.facts.text, slots.order_number or slots.verified_order)
        if address:
            state = state.with_slots(new_address=address)
    order = need_order(state, policy)
    if not isinstance(order, Order):
        return order
    context = {"order": order.name, "address": order.shipping_address}
    if order.is_cancelled:
        return finish(state, say("change_address/cancelled", **context))
    words = f"{state.facts.text} {slots.topic}"  # (the topic: the request's own words)
    other = _ITEM_CHANGE.search(words) and "address" not in words.lower()
    if other and state.awaiting in (None, "identity"):
        if order.is_fulfilled:
            window = policy.return_window_days
            reply = say("change_address/item_change", shipped=True, window=window, **context)
            return finish(state, reply)
        note = f"{order.name} not fulfilled yet; the customer wants to change: {state.facts.text[:200]}"
        return escalate(
            state,
            policy,
            "order_change",
            template="change_address/item_change",
            note=note,
            **context,
        )
    if order.is_fulfilled:
        return finish(state, say("change_address/too_late", **context))
    if policy.address_change == "never":
        return finish(state, say("change_address/not_allowed", HUMAN, **context))
    new_address = state.slots.new_address
    if new_address is None:
        return ask(state, "new_address", "change_address/ask_address", **context)
    note = (
        f"{order.name} not fulfilled yet; new shipping address as the customer wrote it: "
        f'"{new_address}" (current: {order.shipping_address})'
    )
    return escalate(
        state,
        policy,
        "address_change",
        template="change_address/forwarded",
        note=note,
        new_address=new_address,
        **context,
    )


def shipping_info(state: DialogueState, policy: Policy) -> Out:
    return finish(state, say("shipping_info/answer"))


def payment_issue(state: DialogueState, policy: Policy) -> Out:
    order = state.facts.order
    note = f"order {order.name}, {order.financial_status}" if order else "no order identified"
    return escalate(state, policy, "payment_issue", template="payment_issue/forwarded", note=note)


def invoice(state: DialogueState, policy: Policy) -> Out:
    return finish(state, say("invoice/self_service", HUMAN, link=policy.links.get("invoices")))


def account_help(state: DialogueState, policy: Policy) -> Out:
    return finish(
        state,
        say(
            "account_help/answer",
            HUMAN,
            reset=policy.links.get("password_reset"),
            account=policy.links.get("account"),
        ),
    )
