"""A reply to the bot's question, read as an answer first.

While the bot waits (a yes/no, a choice, an email, an order number), the service asks the
NLU for the message's dialogue act (``nlu.acts``) with ``expecting`` from what the state
waits for; the act is learned from data, and what it means is decided here, by the
script's context: a yes confirms the question asked ("ok fine yes cancel it" to "Shall I
cancel your subscription?"), "I don't have an order number" is an answer that opens
another way to the order (its status e-mailed to the address on it), "can someone from
your team do it" brings in a person, and a request the script cannot do ("can i pause it
instead?") is told so plainly instead of getting the same question back.
"""

from __future__ import annotations

import re

from chatserver.dialogue.events import UserMessage
from chatserver.dialogue.state import DialogueState

__all__ = ["ACT_BAR", "act_of", "expecting", "lacks_mailbox", "lacks_number"]

# Below this the act model's reading is not acted on (the old rules decide).
ACT_BAR = 0.5
_EXPECTING = {
    "confirm": "yes_no",
    "item": "choice",
    "order_choice": "choice",
    "email": "email",
    "order_number": "order_number",
    "new_address": "address",
}
# A first message that says the customer has no order number ("I don't have an order
# number", "never got a confirmation"): no act is read before the bot asks anything, so
# this is the one place the words decide; after a question the act model does.
_LACKS_NUMBER = re.compile(
    r"\b(?:no|don'?t|do not|dont|haven'?t|have not|didn'?t|did not|never|lost|can'?t find"
    r"|cannot find|without)\b[^.?!]{0,40}?\b(?:order\s*(?:number|no|nr|#)|confirmation"
    r"|e-?mail\b(?!\s*address))",
    re.IGNORECASE,
)


# ... and no way into the mailbox the order was placed with either ("no access to that
# email anymore"): the e-mail route is closed, a person finds the order.
_LACKS_MAILBOX = re.compile(
    r"\b(?:no|lost|without|don'?t have|do not have|can'?t|cannot)\b[^.?!]{0,30}?\baccess\b"
    r"[^.?!]{0,30}?\be-?mail|\b(?:old|that) e-?mail (?:address )?(?:is )?(?:gone|closed|deleted)",
    re.IGNORECASE,
)


def expecting(state: DialogueState, *, waiting_for_person: bool = False) -> str | None:
    """What the bot waits for, as ``nlu.acts.EXPECTING`` names it; None: nothing."""
    if state.awaiting == "identity":
        slots = state.slots
        if slots.no_number or (slots.order_number and not slots.email):
            return "email"
        return "order_number"
    if state.awaiting:
        return _EXPECTING.get(state.awaiting, "yes_no")
    if state.handoff is not None and state.handoff.to == "address":
        return "email"
    return "agent" if waiting_for_person else None


def act_of(msg: UserMessage) -> str | None:
    """The message's act when the model is sure enough of it."""
    return msg.act if msg.act and msg.act_confidence >= ACT_BAR else None


def lacks_mailbox(text: str) -> bool:
    """The message says the customer cannot read the mailbox of the order any more."""
    return _LACKS_MAILBOX.search(text) is not None


def lacks_number(text: str) -> bool:
    """The message says the customer has no order number (or no confirmation e-mail)."""
    return _LACKS_NUMBER.search(text) is not None
