"""The pure conversation core: state, events, actions and ``step``.

``step(state, event, policy) -> (state, actions)`` reads no clock and does no I/O;
``chatserver.runner`` executes the effects it asks for and feeds the answers back.
"""

from __future__ import annotations

from chatserver.dialogue.actions import (
    Action,
    Button,
    CancelOrder,
    CancelSubscription,
    Effect,
    HandOff,
    LookupOrder,
    LookupOrders,
    LookupSubscriptions,
    Reply,
    RequestReturn,
    Tag,
    TrackShipments,
)
from chatserver.dialogue.events import (
    ActionFailed,
    Event,
    OrderCancelled,
    OrderFound,
    OrdersFound,
    ReturnRequested,
    SubscriptionCancelled,
    SubscriptionsFound,
    Tracked,
    UserMessage,
)
from chatserver.dialogue.state import DialogueState, Facts, Slots

__all__ = [
    "Action",
    "ActionFailed",
    "Button",
    "CancelOrder",
    "CancelSubscription",
    "DialogueState",
    "Effect",
    "Event",
    "Facts",
    "HandOff",
    "LookupOrder",
    "LookupOrders",
    "LookupSubscriptions",
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
    "TrackShipments",
    "Tracked",
    "UserMessage",
]
