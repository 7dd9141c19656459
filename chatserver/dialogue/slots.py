"""Slot filling: what a customer message tells us, before any script looks at it.

Entities from the classifier always count. While the bot waits for an email or an order
number, plain text counts too ("1001", "maria@example.com", "1001 maria@example.com").
Quick-reply payloads (``/choose{"order": "#1006"}``, ``/affirm``, ``/deny``) fill the
choice and the yes/no slots.
"""

from __future__ import annotations

import re
from dataclasses import replace

from chatserver.dialogue.events import UserMessage
from chatserver.dialogue.state import DialogueState

__all__ = ["ASKS_ORDER", "EXIT_PHRASES", "fill_slots", "is_exit", "yes_or_no"]

ASKS_ORDER = frozenset({"identity", "email", "order_number", "order_choice"})
_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_BARE_NUMBER = re.compile(r"(?<![\w@.#/-])#?\s?(\d{3,10})(?![\w@]|[.,/-]\d)")
_WORDS = re.compile(r"[a-z']+")

EXIT_PHRASES = frozenset(
    {
        "cancel",
        "never mind",
        "nevermind",
        "nvm",
        "forget it",
        "forget about it",
        "stop",
        "nothing",
        "no thanks",
        "no thank you",
        "never mind thanks",
        "never mind thank you",
        "skip",
        "quit",
        "exit",
    }
)
_YES = frozenset(
    {"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "please do", "yes please",
     "confirm", "do it", "correct", "go ahead", "absolutely", "definitely"}
)  # fmt: skip
_NO = frozenset({"no", "n", "nope", "nah", "don't", "do not", "keep it", "not now", "no don't"})


def _normal(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def is_exit(text: str) -> bool:
    """ "never mind", "cancel" and the like, said on their own."""
    return _normal(text) in EXIT_PHRASES


def yes_or_no(msg: UserMessage) -> bool | None:
    if msg.intent == "affirm":
        return True
    if msg.intent == "deny":
        return False
    words = _normal(msg.text)
    if words in _YES:
        return True
    if words in _NO:
        return False
    return None


def fill_slots(state: DialogueState, msg: UserMessage) -> tuple[DialogueState, bool]:
    """The state with what ``msg`` tells us, and whether it answers what the bot asked."""
    slots = state.slots
    changes: dict[str, object] = {}
    for kind, value in msg.entities:
        if kind == "email":
            changes.setdefault("email", value.strip().lower())
        elif kind == "order_number":
            changes.setdefault("order_number", "#" + value.lstrip("#").strip())
        elif kind == "tracking_number":
            changes.setdefault("tracking_number", value)
    if state.awaiting in ASKS_ORDER:
        email = _EMAIL.search(msg.text)
        if email and "email" not in changes:
            changes["email"] = email.group(0).lower()
        rest = _EMAIL.sub(" ", msg.text)
        number = _BARE_NUMBER.search(rest)
        if number and "order_number" not in changes:
            changes["order_number"] = "#" + number.group(1)
    choice = msg.payload if msg.intent == "choose" else {}
    if isinstance(choice.get("order"), str):
        changes["order_number"] = "#" + choice["order"].lstrip("#")
    if isinstance(choice.get("item"), str):
        changes["item"] = choice["item"]
    answered = False
    if state.awaiting == "confirm":
        yes = yes_or_no(msg)
        if yes is not None:
            changes["confirmed"] = yes
            answered = True
    fresh = {k: v for k, v in changes.items() if getattr(slots, k) != v or k == "confirmed"}
    if state.awaiting in ASKS_ORDER:
        answered = bool({"email", "order_number"} & fresh.keys())
    elif state.awaiting == "item":
        answered = "item" in fresh
    return (replace(state, slots=replace(slots, **changes)) if changes else state), answered
