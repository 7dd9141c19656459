"""Slot filling: what a customer message tells us, before any script looks at it.

Entities from the classifier always count. While the bot waits for an email or an order
number, plain text counts too ("1001", "maria@example.com", "1001 maria@example.com");
in a chat so does a bare number written next to an email address at any time ("hi, 1001
maria@example.com where is it"): together they are an order's proof, and a wrong guess
only costs one identity attempt. (An email's requester is already proven, and numbers in
its body are too often zip codes and phone numbers to guess.)
Quick-reply payloads (``/choose{"order": "#1006"}``, ``/affirm``, ``/deny``) fill the
choice and the yes/no slots. Asked for a new shipping address, a message with digits and
words is taken as the customer wrote it (``as_address``), for the person who changes it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from chatserver.dialogue.events import UserMessage
from chatserver.dialogue.state import DialogueState

__all__ = [
    "ASKS_ORDER",
    "EXIT_PHRASES",
    "MAX_ADDRESS",
    "as_address",
    "details_only",
    "fill_slots",
    "is_exit",
    "topic_of",
    "yes_or_no",
]

ASKS_ORDER = frozenset({"identity", "email", "order_number", "order_choice"})
_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_BARE_NUMBER = re.compile(r"(?<![\w@.#/-])#?\s?(\d{3,10})(?![\w@]|[.,/-]\d)")
_WORDS = re.compile(r"[a-z']+")
_ORDER_REF = re.compile(r"#\s?\d+|\border\s+(?:number\s+|no\.?\s*|nr\.?\s*)?#?\d+", re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]{2,}")
MAX_ADDRESS = 300
# Said around "never mind" and "yes"/"no" without changing what they mean.
_FILLERS = frozenset(
    {"oh", "ah", "ok", "okay", "actually", "um", "uh", "hmm", "well", "wait", "sorry", "so",
     "thanks", "thank", "you", "please", "then", "just", "i", "guess", "anyway", "lol"}
)  # fmt: skip
# "never mind" and the like inside a short message ("oh never mind, I'll wait").
_EXIT_INSIDE = ("never mind", "nevermind", "nvm", "forget it", "forget about it", "no worries")
_SHORT = 6
# What a message that only gives details says around them ("hi, my email is …, order 1001").
_DETAIL_WORDS = frozenset(
    {"hi", "hello", "hey", "my", "email", "e", "mail", "address", "is", "it's", "its", "it",
     "order", "number", "no", "nr", "and", "the", "here", "this", "i", "am", "i'm", "from"}
)  # fmt: skip

EXIT_PHRASES = frozenset(
    {
        "cancel",
        "no worries",
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
# A first word that answers the question on its own ("no, keep it", "yes please do").
_YES_FIRST = frozenset({"yes", "yeah", "yep", "yup", "sure", "absolutely", "definitely"})
_NO_FIRST = frozenset({"no", "nope", "nah"})
_NEGATIONS = _NO_FIRST | {"not", "don't", "dont", "never"}
_ACT_BAR = 0.5  # chatserver.dialogue.acts.ACT_BAR (that module imports this one)


def _normal(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def topic_of(text: str) -> str:
    """The words of a message, kept while its script runs (an item named up front)."""
    return _normal(_EMAIL.sub(" ", text))[:200]


def details_only(text: str) -> bool:
    """The message gives an email or an order number and says nothing else."""
    words = _normal(_EMAIL.sub(" ", text)).split()
    return not set(words) - _DETAIL_WORDS - _FILLERS


def as_address(text: str, order_number: str | None = None) -> str | None:
    """The message as the customer wrote it (one line, clipped) if it may give an address:
    digits (a street number, a postcode) and words besides its email and order number.

    Not parsed: a person reads it before anything changes (address changes are hand-offs).
    """
    rest = _ORDER_REF.sub(" ", _EMAIL.sub(" ", text))
    if order_number:
        rest = re.sub(rf"(?<!\d){re.escape(order_number.lstrip('#'))}(?!\d)", " ", rest)
    if not any(c.isdigit() for c in rest) or len(_LETTERS.findall(rest)) < 2:
        return None
    return " ".join(text.split())[:MAX_ADDRESS]


def _trimmed(words: str) -> str:
    """The words without the fillers around them ("oh never mind thanks" -> "never mind")."""
    parts = words.split()
    while parts and parts[0] in _FILLERS:
        parts.pop(0)
    while parts and parts[-1] in _FILLERS:
        parts.pop()
    return " ".join(parts)


def is_exit(text: str) -> bool:
    """ "never mind", "cancel" and the like, on their own or in a short message."""
    words = _normal(text)
    if words in EXIT_PHRASES or _trimmed(words) in EXIT_PHRASES:
        return True
    if "?" in text or len(words.split()) > _SHORT:  # "never mind, where is it?" asks anew
        return False
    padded = f" {words} "
    return any(f" {p} " in padded for p in _EXIT_INSIDE)


def yes_or_no(msg: UserMessage) -> bool | None:
    if msg.intent == "affirm":
        return True
    if msg.intent == "deny":
        return False
    if msg.act_confidence >= _ACT_BAR:
        if msg.act in ("affirm", "deny"):
            return msg.act == "affirm"  # "ok fine yes cancel it", read by the act model
        if msg.act == "new_request":
            return None  # "no actually, ship it to my office instead?": another request
    words = _normal(msg.text)
    trimmed = _trimmed(words)
    if words in _YES or trimmed in _YES:
        return True
    if words in _NO or trimmed in _NO:
        return False
    first = words.split()[:1]
    if first and first[0] in _YES_FIRST and not (set(words.split()) & _NEGATIONS):
        return True
    if first and first[0] in _NO_FIRST:
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
    email = _EMAIL.search(msg.text)
    if state.awaiting in ASKS_ORDER or (email and msg.channel == "chat"):
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
    if state.awaiting == "new_address":
        address = as_address(msg.text, slots.order_number or slots.verified_order)
        if address:
            changes["new_address"] = address
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
    elif state.awaiting == "new_address":
        answered = "new_address" in changes
    return (replace(state, slots=replace(slots, **changes)) if changes else state), answered
