"""The pure conversation core: state, events, actions and ``step``.

``step(state, event, policy) -> (state, actions)`` reads no clock and does no I/O;
``chatserver.runner`` executes the effects it asks for and feeds the answers back.
``HandOff`` is a script's decision to hand over; ``HandOffRoute`` (in the state) is where
a chat hand-off went (``chatserver.dialogue.handoff``).
"""

from __future__ import annotations

from chatserver.dialogue.actions import (
    Action,
    Button,
    CancelOrder,
    CancelSubscription,
    CheckAvailability,
    Effect,
    HandOff,
    LookupOrder,
    LookupOrders,
    LookupSubscriptions,
    OpenTicket,
    Reply,
    RequestReturn,
    Tag,
    TrackShipments,
)
from chatserver.dialogue.events import (
    ActionFailed,
    AgentsAvailable,
    Event,
    OrderCancelled,
    OrderFound,
    OrdersFound,
    ReturnRequested,
    SubscriptionCancelled,
    SubscriptionsFound,
    TicketOpened,
    Tracked,
    UserMessage,
)
from chatserver.dialogue.state import DialogueState, Facts, HandOffRoute, Slots

__all__ = [
    "Action",
    "ActionFailed",
    "AgentsAvailable",
    "Button",
    "CancelOrder",
    "CancelSubscription",
    "CheckAvailability",
    "DialogueState",
    "Effect",
    "Event",
    "Facts",
    "HandOff",
    "HandOffRoute",
    "LookupOrder",
    "LookupOrders",
    "LookupSubscriptions",
    "OpenTicket",
    "OrderCancelled",
    "OrderFound",
    "OrdersFound",
    "Reply",
    "RequestReturn",
    "ReturnRequested",
    "Slots",
    "SubscriptionCancelled",
    "SubscriptionsFound",
    "Tag",
    "TicketOpened",
    "TrackShipments",
    "Tracked",
    "UserMessage",
]
