"""The intent catalogue: the intents the scripts answer, by exact name.

Anything outside it is out of scope and goes to a human. Training data may
carry an explicit ``out_of_scope`` class; it is never a valid ``Parse.intent``.
"""

from __future__ import annotations

__all__ = ["INTENTS", "OUT_OF_SCOPE", "is_intent"]

INTENTS: tuple[str, ...] = (
    "track_order",
    "missing_item",
    "damaged_item",
    "return_item",
    "refund_status",
    "cancel_order",
    "cancel_subscription",
    "change_address",
    "shipping_info",
    "payment_issue",
    "invoice",
    "account_help",
    "human_agent",
    "complaint",
    "greeting",
    "thanks",
    "goodbye",
)

OUT_OF_SCOPE = "out_of_scope"


def is_intent(name: str) -> bool:
    """True for a catalogue intent (``out_of_scope`` is not one)."""
    return name in INTENTS
