"""A session's dialogue state: the active script, the slots, the hand-off, this turn's facts.

``DialogueState`` is immutable; scripts return a changed copy (``dataclasses.replace``).
Slots, counters and a chat hand-off in progress are persisted (``to_json``/``from_json``,
stored with the session); ``facts`` hold what the runner fetched during the current turn
and are dropped between turns, so every turn reads fresh order and tracking data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from integrations.models import Order, ReturnRequest, Subscription, Tracking

__all__ = ["BACK", "IF", "DialogueState", "Facts", "HandOffRoute", "Slots"]

# A pending ask that waits for a condition ("cancel it if you can't ship"): the script
# that answers the ask before it removes the mark when the condition is met, else the
# ask is dropped.
IF = "if "
# A question the customer interrupted with another request ("back return_item item"):
# open again once that request is answered.
BACK = "back "


@dataclass(frozen=True)
class Slots:
    """What the customer told us, and what is proven.

    ``email``/``order_number`` are claims; ``verified_email`` is proven (email requester,
    signed identity, or an email and order number that matched the same order), and
    ``verified_order`` is an order name proven to belong to it. ``proof`` says how:
    ``identity`` (presented again with every message, and gone when it is not) or
    ``order`` (the email and number matched in this session).
    """

    email: str | None = None
    order_number: str | None = None  # "#1001"
    tracking_number: str | None = None
    verified_email: str | None = None
    verified_order: str | None = None
    proof: str | None = None  # identity | order
    item: str | None = None  # chosen line item id
    topic: str = ""  # the words of the message that started the script ("the mugs"…)
    confirmed: bool | None = None  # answer to the last yes/no question
    new_address: str | None = None  # the customer's words giving a new shipping address
    no_number: bool = False  # the customer has no order number (their status is e-mailed)
    failed: str | None = None  # "email #number": the last pair that did not match


@dataclass(frozen=True)
class Facts:
    """What the runner fetched during this turn (never persisted)."""

    now: datetime | None = None
    channel: str = "chat"
    text: str = ""
    known_email: str | None = None  # an address the session holds from before (a ticket's)
    read: bool = True  # a model read the message (False: none is loaded, a person must)
    ranking: tuple[tuple[str, float], ...] = ()  # what it made of it, best first
    order: Order | None = None
    order_looked_up: bool = False
    proof_refused: bool = False  # a proof's lookup was refused (too many failures)
    retry_after: float | None = None  # ... and when another try may be made
    orders: tuple[Order, ...] | None = None
    trackings: tuple[Tracking | None, ...] | None = None
    subscriptions: tuple[Subscription, ...] | None = None
    cancelled: bool = False
    return_request: ReturnRequest | None = None
    subscription_cancelled: Subscription | None = None
    status_emailed: bool = False  # an EmailOrderStatus ran this turn
    started: tuple[str, ...] = ()  # the scripts this turn started, in order (two asks: both)
    asked_about_money: bool = False  # asked what a yes would cost or refund, before answering


@dataclass(frozen=True)
class HandOffRoute:
    """Where a chat hand-off went (``chatserver.dialogue.handoff``), and why.

    ``to`` is None while the turn finds out who can take it, then ``person`` (an agent
    will join the chat), ``address`` (a ticket waits for the customer's email address) or
    ``ticket`` (passed on to Zendesk).
    """

    reason: str
    notes: tuple[str, ...] = ()  # extra facts for the agent's summary
    to: str | None = None
    # The hand-off turn's replies, held until ``to`` is known so that they say where the
    # answer comes from (here, or by email). Within one turn only: never persisted.
    held: tuple[Any, ...] = field(default=(), compare=False)
    nudges: int = 0  # "is anyone there?" answered while waiting (the wording varies)

    def to_json(self) -> dict[str, Any]:
        return {"reason": self.reason, "notes": list(self.notes), "to": self.to,
                "nudges": self.nudges}  # fmt: skip

    @classmethod
    def from_json(cls, data: Any) -> HandOffRoute | None:
        if not isinstance(data, dict) or not isinstance(data.get("reason"), str):
            return None
        to = data.get("to")
        nudges = data.get("nudges")
        return cls(
            data["reason"],
            tuple(str(n) for n in data.get("notes") or ()),
            to if isinstance(to, str) else None,
            nudges=nudges if isinstance(nudges, int) else 0,
        )


@dataclass(frozen=True)
class DialogueState:
    intent: str | None = None  # the active script
    awaiting: str | None = None  # what the bot's last question asks for
    slots: Slots = field(default_factory=Slots)
    attempts: int = 0  # failed identity checks
    reprompts: int = 0  # questions asked again without an answer
    escalated: bool = False
    intents: tuple[tuple[str, float], ...] = ()  # classifications so far, newest last
    tried: tuple[str, ...] = ()  # what the bot did, for the agent's summary
    handoff: HandOffRoute | None = None  # a chat hand-off on its way to a person or a ticket
    pending: tuple[str, ...] = ()  # the message's next asks, answered when this one is done

    facts: Facts = field(default_factory=Facts, compare=False)

    def with_slots(self, **changes: Any) -> DialogueState:
        return replace(self, slots=replace(self.slots, **changes))

    def with_facts(self, **changes: Any) -> DialogueState:
        return replace(self, facts=replace(self.facts, **changes))

    def without_proof(self) -> DialogueState:
        """The state with nothing proven or claimed about who the customer is."""
        return self.with_slots(
            email=None, order_number=None, verified_email=None, verified_order=None, proof=None
        )

    def noting(self, what: str) -> DialogueState:
        """Record what the bot tried (kept short: the last ten)."""
        if self.tried and self.tried[-1] == what:
            return self
        return replace(self, tried=(*self.tried, what)[-10:])

    def to_json(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "awaiting": self.awaiting,
            "slots": asdict(self.slots),
            "attempts": self.attempts,
            "reprompts": self.reprompts,
            "escalated": self.escalated,
            "intents": [list(pair) for pair in self.intents],
            "tried": list(self.tried),
            "handoff": self.handoff.to_json() if self.handoff else None,
            "pending": list(self.pending),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DialogueState:
        if not data:
            return cls()
        slot_names = {f.name for f in fields(Slots)}
        return cls(
            intent=data.get("intent"),
            awaiting=data.get("awaiting"),
            slots=Slots(**{k: v for k, v in (data.get("slots") or {}).items() if k in slot_names}),
            attempts=int(data.get("attempts", 0)),
            reprompts=int(data.get("reprompts", 0)),
            escalated=bool(data.get("escalated", False)),
            intents=tuple((str(i), float(c)) for i, c in data.get("intents", [])),
            tried=tuple(data.get("tried", [])),
            handoff=HandOffRoute.from_json(data.get("handoff")),
            pending=tuple(str(i) for i in data.get("pending") or ()),
        )
