"""What every script shares: replying, asking, finishing, escalating, and proving the order.

A script is a plain function ``(state, policy) -> (state, actions)``. It is called when
its intent starts, after each answer from the runner, and when the customer answers its
question; it looks at what is known (slots, ``state.facts``) and does the next thing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from chatserver.dialogue.actions import (
    Action,
    Button,
    EmailOrderStatus,
    HandOff,
    LookupOrder,
    LookupOrders,
    Reply,
    TrackShipments,
)
from chatserver.dialogue.state import DialogueState
from chatserver.policy import Policy
from integrations.models import Fulfillment, Order, Tracking

__all__ = [
    "HUMAN",
    "Out",
    "Script",
    "ask",
    "choose_payload",
    "escalate",
    "finish",
    "need_order",
    "need_trackings",
    "now_of",
    "parcels",
    "say",
]

Out = tuple[DialogueState, list[Action]]
Script = Callable[[DialogueState, Policy], Out]
HUMAN = Button("/human_agent", label="human")
YES_NO = (Button("/affirm", label="yes"), Button("/deny", label="no"))
# Something went wrong for the customer: the first question starts with an apology.
SORRY_FIRST = frozenset({"damaged_item", "missing_item"})


def now_of(state: DialogueState) -> datetime:
    return state.facts.now or datetime.now(UTC)


def choose_payload(**value: str) -> str:
    """A quick-reply payload that picks one thing: ``/choose{"order": "#1006"}``."""
    return "/choose" + json.dumps(value, separators=(",", ":"))


def say(template: str, *buttons: Button, **context: Any) -> Reply:
    return Reply(template, context, tuple(buttons))


def ask(
    state: DialogueState, awaiting: str, template: str, *buttons: Button, **context: Any
) -> Out:
    """Ask the customer something; the next message answers ``awaiting`` first."""
    return replace(state, awaiting=awaiting), [say(template, *buttons, **context)]


def finish(state: DialogueState, *actions: Action) -> Out:
    """The script is done: forget its question and per-script choices, keep the identity."""
    done = replace(state, intent=None, awaiting=None, reprompts=0)
    return done.with_slots(item=None, confirmed=None, topic="", new_address=None), list(actions)


def escalate(
    state: DialogueState,
    policy: Policy,
    reason: str,
    *,
    template: str = "common/escalated",
    note: str = "",
    **context: Any,
) -> Out:
    """Hand the session to a person, telling the customer honestly what happens next."""
    state = replace(state.noting(f"escalated: {reason}"), escalated=True)
    context = {"open_now": policy.is_open(now_of(state)), **context}
    return finish(state, say(template, **context), HandOff(reason, note))


def need_order(state: DialogueState, policy: Policy, *, any_order: bool = False) -> Order | Out:
    """The customer's order once it is proven theirs, or the next step to get there.

    Proof is a verified email (email requester, signed identity) or an email and an order
    number that match the same order. Failures read the same whether the order does not
    exist or belongs to someone else, and are limited per session (here: past the
    policy's limit nothing more is looked up) and across sessions (the runner refuses
    the lookup: ``ProofRefused``). ``any_order``: the script needs the email proven, not
    one order (subscriptions), and the questions say so.
    """
    facts, slots = state.facts, state.slots
    if facts.order is not None:
        return facts.order
    wanted = slots.order_number or slots.verified_order
    if slots.verified_email:
        return _verified_order(state, policy, slots.verified_email, wanted)
    if slots.no_number and not slots.order_number:
        return _status_by_email(state)
    # Thank them for a detail only when it answers our question, not in their first message.
    # ``about``: a return or refund question gets the shop's general answer before the
    # question for the order ("What is your return policy?" is answered at once).
    asked = {"answered": state.awaiting == "identity", "any_order": any_order,
             "sorry": state.intent in SORRY_FIRST, "about": state.intent}  # fmt: skip
    if not slots.email or not slots.order_number:
        if slots.order_number:
            return ask(state, "identity", "identity/ask_email", order=slots.order_number, **asked)
        if slots.email:
            return ask(state, "identity", "identity/ask_number", **asked)
        return ask(state, "identity", "identity/ask_both", first=state.attempts == 0, **asked)
    pair = f"{slots.email} {slots.order_number}"
    if slots.failed == pair:  # the pair that did not match: one part must change
        return ask(state, "identity", "identity/no_match", any_order=any_order)
    if facts.proof_refused or state.attempts >= policy.max_identity_attempts:
        return _too_many(state, facts.retry_after if facts.proof_refused else None)
    if not facts.order_looked_up:
        lookup = LookupOrder(slots.order_number, slots.email, proof=True)
        return state.noting("looked up the order"), [lookup]
    attempts = state.attempts + 1
    # Both claims stay: the customer corrects the one that was wrong ("ah try
    # priya@example.com"), and the pair that failed is not tried again.
    state = replace(state, attempts=attempts).with_slots(failed=pair)
    if attempts >= policy.max_identity_attempts:
        return escalate(state, policy, "identity_not_proven", note=f"{attempts} failed attempts")
    # Two wordings in turn: never the same sentence twice in a row.
    return ask(state, "identity", "identity/no_match", any_order=any_order, again=attempts % 2 == 0)


def _status_by_email(state: DialogueState) -> Out:
    """No order number: the order's status goes to the address on the order, by e-mail;
    nothing is shown here (an address alone proves nothing in a chat)."""
    email = state.slots.email
    if email is None:
        return ask(state, "identity", "identity/ask_email_for_status")
    if not state.facts.status_emailed:
        return state.noting("e-mailed the order's status to its address"), [EmailOrderStatus(email)]
    # The number from that e-mail, with this address, proves the order here: wait for it.
    return ask(
        state.with_slots(no_number=False), "identity", "identity/status_emailed", email=email
    )


def _too_many(state: DialogueState, retry_after: float | None) -> Out:
    """Too many failed proofs: nothing is looked up; say so plainly and offer a person."""
    state = state.noting("order proof refused: too many failed attempts")
    state = state.with_slots(email=None, order_number=None)
    wait = None if retry_after is None else max(1, math.ceil(retry_after))
    return finish(state, say("identity/too_many_attempts", HUMAN, wait=wait))


def _verified_order(
    state: DialogueState, policy: Policy, email: str, wanted: str | None
) -> Order | Out:
    facts = state.facts
    if wanted and not facts.order_looked_up:
        return state.noting("looked up the order"), [LookupOrder(wanted, email)]
    if wanted:  # looked up and not theirs, or no such order: the same answer
        state = state.with_slots(order_number=None, verified_order=None)
        return ask(state, "order_number", "identity/not_found_verified", order=wanted, email=email)
    if facts.orders is None:
        return state.noting("looked up the customer's orders"), [LookupOrders(email)]
    live = sorted(facts.orders, key=lambda o: o.processed_at, reverse=True)
    if not live:
        return escalate(
            state, policy, "no_orders_found", template="identity/no_orders", email=email
        )
    buttons = [Button(choose_payload(order=o.name), text=o.name) for o in live[:5]]
    return ask(state, "order_choice", "identity/choose_order", *buttons, orders=live[:5])


def parcels(order: Order) -> list[tuple[Fulfillment, str, str | None, str | None]]:
    """Every tracked parcel of the order: (fulfillment, number, company, Shopify's URL)."""
    return [
        (f, t.number, t.company, t.url)
        for f in order.fulfillments
        if f.status == "SUCCESS"
        for t in f.tracking
    ]


def need_trackings(state: DialogueState, order: Order) -> list[Tracking | None] | Out:
    """What the carriers say about every parcel of the order (a list, one per parcel),
    or the step that asks them (a tuple)."""
    if state.facts.trackings is not None:
        return list(state.facts.trackings)
    asked = tuple((number, company) for _, number, company, _ in parcels(order))
    if not asked:
        return []
    return state.noting("asked the carrier"), [TrackShipments(asked)]
