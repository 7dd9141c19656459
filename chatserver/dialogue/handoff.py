"""Where a chat hand-off goes: to a person in the chat, or to a Zendesk ticket by email.

When a script hands a chat over, the same turn asks who can take it
(``CheckAvailability``: agents online on any server process). With an agent online and
the shop open, the chat waits for them. Otherwise it becomes a Zendesk ticket for the
customer's address (``OpenTicket``); without one, the bot asks for it and waits (an
address the customer types is unproven: ``OpenTicket(verified=False)``). That
wait is part of the state (``HandOffRoute.to == "address"``), stored with the session, so
after a restart, or on another process, the next message holding an address still
opens the ticket. Email sessions never come here: the Zendesk channel hands them over.
Everything here is pure: the runner answers the effects with events.
"""

from __future__ import annotations

import re
from dataclasses import replace

from chatserver.dialogue.actions import Action, CheckAvailability, HandOff, OpenTicket, Reply
from chatserver.dialogue.events import ActionFailed, AgentsAvailable, TicketOpened, UserMessage
from chatserver.dialogue.state import DialogueState, HandOffRoute
from chatserver.policy import Policy

__all__ = [
    "ADDRESS_FIRST",
    "EFFECTS",
    "EMAIL",
    "PERSON",
    "TICKET",
    "failed",
    "handing_over",
    "opened",
    "route",
    "take_address",
]

PERSON, ADDRESS_FIRST, TICKET = "person", "address", "ticket"  # HandOffRoute.to
EFFECTS = frozenset({"CheckAvailability", "OpenTicket"})  # ActionFailed.action of ours
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

Out = tuple[DialogueState, list[Action]]


def handing_over(state: DialogueState, actions: list[Action]) -> Out:
    """After a step: a chat hand-off among ``actions`` asks who can take the chat."""
    handoffs = [a for a in actions if isinstance(a, HandOff)]
    if not handoffs or state.facts.channel != "chat":
        return state, actions
    record = HandOffRoute(handoffs[-1].reason, tuple(h.note for h in handoffs if h.note))
    return replace(state, handoff=record), [*actions, CheckAvailability()]


def route(state: DialogueState, event: AgentsAvailable, policy: Policy) -> Out:
    """A person now if one is online and the shop open; else a ticket, or its address first."""
    handoff = state.handoff
    if handoff is None:
        return state, []
    now = state.facts.now
    if event.online and now is not None and policy.is_open(now):
        return replace(state, handoff=replace(handoff, to=PERSON)), []
    email = state.slots.verified_email or state.facts.known_email
    if email:
        return _ticket(state, handoff, email)
    asked = replace(state, handoff=replace(handoff, to=ADDRESS_FIRST))
    return asked, [Reply("handoff/ask_email")]


def take_address(state: DialogueState, msg: UserMessage) -> Out | None:
    """While a ticket waits for the customer's address: a message holding one opens it."""
    handoff = state.handoff
    if handoff is None or handoff.to != ADDRESS_FIRST or msg.channel != "chat":
        return None
    found = EMAIL.search(msg.text)
    if found is None:
        return None
    return _ticket(state, handoff, found.group(0), verified=False)  # typed, not proven


def _ticket(
    state: DialogueState, handoff: HandOffRoute, email: str, *, verified: bool = True
) -> Out:
    state = replace(state, handoff=replace(handoff, to=TICKET))
    ticket = OpenTicket(email, handoff.reason, handoff.notes, verified=verified, about=state)
    return state, [ticket]


def opened(state: DialogueState, event: TicketOpened) -> Out:
    template = "handoff/ticket_updated" if event.added else "handoff/ticket_opened"
    return state, [Reply(template, {"ticket": event.ticket, "email": event.email})]


def failed(state: DialogueState, event: ActionFailed, policy: Policy) -> Out:
    """A step of the hand-off itself failed: never hand over again (that would loop).
    Not knowing who is online counts as nobody; a ticket that could not be opened is
    said honestly, with the shop's address to write to."""
    if event.action == "CheckAvailability":
        return route(state, AgentsAvailable(online=False), policy)
    state = state.noting(f"{event.action} failed")
    return replace(state, handoff=None), [Reply("handoff/ticket_failed")]
