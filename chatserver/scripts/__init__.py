"""Intent scripts, registered by intent name: plain functions ``(state, policy) -> (state, actions)``.

Quick replies send ``/<intent>`` to start a script directly (``/human_agent``), ``/affirm``
and ``/deny`` to answer a yes/no question, and ``/choose{"order": "#1006"}`` or
``/choose{"item": "<id>"}`` to pick one of several.
"""

from __future__ import annotations

from chatserver.scripts.basics import complaint, fallback, goodbye, greeting, human_agent, thanks
from chatserver.scripts.cancel import cancel_order, cancel_subscription
from chatserver.scripts.common import Script
from chatserver.scripts.info import (
    account_help,
    change_address,
    invoice,
    payment_issue,
    shipping_info,
)
from chatserver.scripts.problems import damaged_item, missing_item
from chatserver.scripts.returns import refund_status, return_item
from chatserver.scripts.track_order import track_order

__all__ = ["FALLBACK", "SCRIPTS"]

FALLBACK = "fallback"

SCRIPTS: dict[str, Script] = {
    "track_order": track_order,
    "missing_item": missing_item,
    "damaged_item": damaged_item,
    "return_item": return_item,
    "refund_status": refund_status,
    "cancel_order": cancel_order,
    "cancel_subscription": cancel_subscription,
    "change_address": change_address,
    "shipping_info": shipping_info,
    "payment_issue": payment_issue,
    "invoice": invoice,
    "account_help": account_help,
    "human_agent": human_agent,
    "complaint": complaint,
    "greeting": greeting,
    "thanks": thanks,
    "goodbye": goodbye,
    FALLBACK: fallback,
}
