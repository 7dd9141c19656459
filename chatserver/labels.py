"""What the console and the dashboard call things: intents, hand-off reasons and the model's
confidence in people's words, not code names ("Where is my order", not ``track_order``).

The words below are the defaults for the intent catalogue (``nlu.catalogue``) and the
reasons the scripts hand over for; a shop renames any of them in its policy::

    labels:
      intents: {track_order: "Order status"}
      reasons: {late_shipment: "Parcel is late"}

A name with no label reads as words ("gift_wrap" -> "Gift wrap").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["INTENT_LABELS", "REASON_LABELS", "Labels", "confidence_words"]

# What the bot did (DialogueState.tried) in words: an effect that failed, by its name.
_EFFECTS = {
    "LookupOrder": "finding the order",
    "LookupOrders": "finding the customer's orders",
    "TrackShipments": "asking the carrier",
    "CancelOrder": "cancelling the order",
    "RequestReturn": "requesting the return",
    "LookupSubscriptions": "finding the subscriptions",
    "CancelSubscription": "cancelling the subscription",
    "CheckAvailability": "finding out who is online",
    "OpenTicket": "opening a Zendesk ticket",
}

INTENT_LABELS: dict[str, str] = {
    "track_order": "Where is my order",
    "missing_item": "Item missing from parcel",
    "damaged_item": "Item arrived damaged",
    "return_item": "Wants to return an item",
    "refund_status": "Where is my refund",
    "cancel_order": "Cancel an order",
    "cancel_subscription": "Cancel a subscription",
    "change_address": "Change the delivery address",
    "shipping_info": "Shipping countries and costs",
    "payment_issue": "Payment problem",
    "invoice": "Needs an invoice",
    "account_help": "Account or password",
    "human_agent": "Asked for a person",
    "complaint": "Complaint",
    "greeting": "Greeting",
    "thanks": "Thanks",
    "goodbye": "Goodbye",
    "out_of_scope": "Something the bot doesn't handle",
}

REASON_LABELS: dict[str, str] = {
    "customer_asked": "The customer asked for a person",
    "low_confidence": "The bot wasn't sure what they meant",
    "out_of_scope": "Something the bot doesn't handle",
    "not_understood": "The bot didn't understand the answers",
    "complaint": "A complaint",
    "identity_not_proven": "Couldn't confirm whose order it is",
    "no_orders_found": "No orders found for their email",
    "integration_failure": "Shopify or a carrier didn't answer",
    "late_shipment": "The parcel is late",
    "not_shipped_late": "The order should have shipped by now",
    "shipment_exception": "The carrier reports a problem",
    "payment_issue": "A payment problem",
    "cancel_requested": "Wants an order cancelled",
    "address_change": "Wants the delivery address changed",
    "order_change": "Wants a size, colour or item in the order changed",
    "loop_guard": "The bot kept going round in circles",
    "reply_limit": "Too many emails on one ticket",
    "unreadable": "An email the bot couldn't read",
    "missing_item_reship": "Item missing: send it again",
    "missing_item_refund": "Item missing: refund it",
    "missing_item_escalate": "Item missing: a person decides",
    "damaged_item_reship": "Item damaged: send a new one",
    "damaged_item_refund": "Item damaged: refund it",
    "damaged_item_escalate": "Item damaged: a person decides",
}

# (lowest confidence, words), highest first
_CONFIDENCE = ((0.85, "sure"), (0.6, "fairly sure"), (0.35, "unsure"), (0.0, "guessing"))


def confidence_words(confidence: float) -> str:
    """How sure the model was, in words: sure, fairly sure, unsure, guessing."""
    return next(words for floor, words in _CONFIDENCE if confidence >= floor)


def _words(name: str) -> str:
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else "Unknown"


@dataclass(frozen=True)
class Labels:
    """The shop's words for intents and reasons (defaults, then its policy's ``labels``)."""

    intents: Mapping[str, str] = field(default_factory=lambda: dict(INTENT_LABELS))
    reasons: Mapping[str, str] = field(default_factory=lambda: dict(REASON_LABELS))

    @classmethod
    def with_overrides(
        cls, intents: Mapping[str, str] | None = None, reasons: Mapping[str, str] | None = None
    ) -> Labels:
        return cls({**INTENT_LABELS, **(intents or {})}, {**REASON_LABELS, **(reasons or {})})

    def intent(self, name: str | None) -> str:
        if not name:
            return "No guess"
        return self.intents.get(name) or _words(name)

    def reason(self, name: str | None) -> str:
        if not name:
            return ""
        return self.reasons.get(name) or _words(name)

    def done(self, step: str) -> str:
        """One thing the bot tried, in words ("escalated: late_shipment" -> "handed over:
        the parcel is late"; "LookupOrder failed" -> "finding the order failed")."""
        if step.startswith("escalated: "):
            return "handed over: " + self.reason(step.removeprefix("escalated: ")).lower()
        effect, _, rest = step.partition(" ")
        if effect in _EFFECTS:
            return f"{_EFFECTS[effect]} {rest}".strip()
        return step

    def to_json(self) -> dict[str, Any]:
        """For the console, which names what it shows with them."""
        return {
            "intents": dict(self.intents),
            "reasons": dict(self.reasons),
            "confidence": [[floor, words] for floor, words in _CONFIDENCE],
        }
