"""What one dialogue step asks for: replies and hand-offs for the channel, effects for the runner.

Every action is a frozen dataclass. ``Reply`` and ``HandOff`` go to the customer and the
agents; every ``Effect`` is an outside call the runner makes and answers with an event
(see ``chatserver.dialogue.events``). A step emits at most one effect at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chatserver.dialogue.state import DialogueState

__all__ = [
    "Action",
    "Button",
    "CancelOrder",
    "CancelSubscription",
    "CheckAvailability",
    "Effect",
    "EmailOrderStatus",
    "HandOff",
    "LookupOrder",
    "LookupOrders",
    "LookupSubscriptions",
    "OpenTicket",
    "Reply",
    "RequestReturn",
    "Tag",
    "TrackShipments",
]


@dataclass(frozen=True)
class Button:
    """A quick reply. ``label`` names a block of ``buttons.j2``; ``text`` is shown as is (data)."""

    payload: str
    label: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Reply:
    """A message to the customer: ``template`` is ``<intent>/<outcome>`` under templates/."""

    template: str
    context: dict[str, Any] = field(default_factory=dict, hash=False)
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class HandOff:
    """Escalate the session to a human.

    ``reason`` is short and stable (``late_shipment``, ``low_confidence``…); ``note`` is an
    extra fact for the agent's summary, never shown to the customer.
    """

    reason: str
    note: str = ""


@dataclass(frozen=True)
class Tag:
    """Labels for the conversation (Zendesk tags, console filters)."""

    tags: tuple[str, ...]


class Effect:
    """Marker base: an outside call the runner executes and answers with an event."""

    __slots__ = ()


@dataclass(frozen=True)
class LookupOrder(Effect):
    """Find order ``name`` ("#1001"); with ``email`` it must be that customer's order.

    ``proof``: the email is a claim and the lookup proves it (or costs an attempt, counted
    across sessions by the runner, which refuses the lookup past the limits).
    """

    name: str
    email: str | None
    proof: bool = False


@dataclass(frozen=True)
class LookupOrders(Effect):
    """The customer's latest orders, newest first."""

    email: str
    limit: int = 5


@dataclass(frozen=True)
class TrackShipments(Effect):
    """Ask the carriers about parcels: ``(tracking number, Shopify's company name)`` pairs."""

    parcels: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class CancelOrder(Effect):
    order_id: str
    reason: str = "CUSTOMER"


@dataclass(frozen=True)
class RequestReturn(Effect):
    order_id: str
    items: tuple[tuple[str, int], ...]  # (line item id, quantity)
    reason: str
    note: str = ""


@dataclass(frozen=True)
class LookupSubscriptions(Effect):
    email: str


@dataclass(frozen=True)
class CancelSubscription(Effect):
    contract_id: str


@dataclass(frozen=True)
class EmailOrderStatus(Effect):
    """E-mail the status of the latest order placed with ``email`` to the address on it.

    The customer has no order number: an address alone proves nothing in a chat, so
    nothing is shown there; the order's owner reads its status in their own inbox
    (through Zendesk, the e-mail channel). Nothing is sent when the address has no order,
    and the chat's answer is the same either way.
    """

    email: str


@dataclass(frozen=True)
class CheckAvailability(Effect):
    """Can a person take this chat now? Who is online is shared by every server process."""


@dataclass(frozen=True)
class OpenTicket(Effect):
    """Pass the chat on to Zendesk for ``email``: a ticket with the transcript, or a note
    on the ticket this chat already has. ``about`` is the state the summary describes.

    ``verified``: the address is proven the customer's; one they only typed is noted in
    the ticket for a person to check, and never made its requester.
    """

    email: str
    reason: str
    notes: tuple[str, ...] = ()
    verified: bool = True
    about: DialogueState = field(default_factory=DialogueState, compare=False, repr=False)


Action = Reply | HandOff | Tag | Effect
