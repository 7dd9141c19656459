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

One consistent story: the hand-off turn's replies are held until the route is known and
then rendered with it (``route``: ``person`` or ``email``), so "a colleague will reply
here" is never followed by "they will reply by email". While the chat waits, a greeting,
"is anyone there?" or another ask for a person gets where the answer comes from and
roughly when (``waiting``), never the newcomer's greeting or a second hand-off.
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
    "waiting",
]

PERSON, ADDRESS_FIRST, TICKET = "person", "address", "ticket"  # HandOffRoute.to
EFFECTS = frozenset({"CheckAvailability", "OpenTicket"})  # ActionFailed.action of ours
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# While a chat waits for a person these only ask after the wait (or hello): answer that.
WAITING_INTENTS = frozenset({"greeting", "human_agent", "fallback", "out_of_scope"})
ASKS_FOR_PERSON = 0.15  # human_agent this likely, and the top intent unsure: about the wait

Out = tuple[DialogueState, list[Action]]


def handing_over(state: DialogueState, actions: list[Action]) -> Out:
    """After a step: a chat hand-off among ``actions`` asks who can take the chat."""
    handoffs = [a for a in actions if isinstance(a, HandOff)]
    if not handoffs or state.facts.channel != "chat":
        return state, actions
    held = tuple(a for a in actions if isinstance(a, Reply))  # said once the route is known
    notes = tuple(h.note for h in handoffs if h.note)
    record = HandOffRoute(handoffs[-1].reason, notes, held=held)
    rest = [a for a in actions if not isinstance(a, Reply)]
    return replace(state, handoff=record), [*rest, CheckAvailability()]


def _release(handoff: HandOffRoute, to: str) -> list[Action]:
    """The held replies, told where the answer comes from."""
    where = "person" if to == PERSON else "email"
    return [replace(r, context={**r.context, "route": where}) for r in handoff.held]


def _when(state: DialogueState, policy: Policy) -> dict[str, object]:
    """What the wording needs to say when the team answers."""
    now = state.facts.now
    open_now = now is not None and policy.is_open(now)
    back = policy.next_open(now) if now is not None and not open_now else None
    return {"open_now": open_now, "back": back, "wait": policy.wait_minutes}


def route(state: DialogueState, event: AgentsAvailable, policy: Policy) -> Out:
    """A person now if one is online and the shop open; else a ticket, or its address first."""
    handoff = state.handoff
    if handoff is None:
        return state, []
    now = state.facts.now
    if event.online and now is not None and policy.is_open(now):
        return replace(state, handoff=replace(handoff, to=PERSON, held=())), _release(
            handoff, PERSON
        )
    held = _release(handoff, TICKET)
    email = state.slots.verified_email or state.facts.known_email
    if email:
        state, actions = _ticket(state, handoff, email)
        return state, [*held, *actions]
    asked = replace(state, handoff=replace(handoff, to=ADDRESS_FIRST, held=()))
    return asked, [*held, Reply("handoff/ask_email", _when(state, policy))]


def waiting(state: DialogueState, msg: UserMessage, policy: Policy) -> Out | None:
    """While the chat waits for a person or a ticket: a hello, "is anyone there?", "how
    long?" or another ask for a person is told who is coming and when; anything else
    (a tracking question while waiting…) is answered as usual (None)."""
    handoff = state.handoff
    if handoff is None or handoff.to is None or msg.channel != "chat":
        return None
    ranking = dict(msg.ranking)
    about_wait = (
        msg.intent in WAITING_INTENTS
        or msg.escalate
        or (ranking.get("human_agent", 0.0) >= ASKS_FOR_PERSON and msg.confidence < 0.5)
    )
    if not about_wait:
        return None
    nudges = handoff.nudges + 1
    state = replace(state, handoff=replace(handoff, nudges=nudges))
    # "Meanwhile I can still look up an order" only when a model reads the messages.
    context = {**_when(state, policy), "to": handoff.to, "again": nudges % 2 == 0,
               "meanwhile": state.facts.read}  # fmt: skip
    return state, [Reply("handoff/waiting", context)]


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
    state = replace(state, handoff=replace(handoff, to=TICKET, held=()))
    ticket = OpenTicket(email, handoff.reason, handoff.notes, verified=verified, about=state)
    return state, [ticket]


def opened(state: DialogueState, event: TicketOpened, policy: Policy) -> Out:
    template = "handoff/ticket_updated" if event.added else "handoff/ticket_opened"
    context = {"ticket": event.ticket, "email": event.email, **_when(state, policy)}
    return state, [Reply(template, context)]


def failed(state: DialogueState, event: ActionFailed, policy: Policy) -> Out:
    """A step of the hand-off itself failed: never hand over again (that would loop).
    Not knowing who is online counts as nobody; a ticket that could not be opened is
    said honestly, with the shop's address to write to."""
    if event.action == "CheckAvailability":
        return route(state, AgentsAvailable(online=False), policy)
    state = state.noting(f"{event.action} failed")
    held = _release(state.handoff, TICKET) if state.handoff is not None else []
    return replace(state, handoff=None), [*held, Reply("handoff/ticket_failed")]
