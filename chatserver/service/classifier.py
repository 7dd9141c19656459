"""What the service needs from an intent model, and the holder that hot reload swaps.

``Classifier`` is what ``nlu.engine.NLU`` is: a version, the intents it knows, and
``parse(text, channel)`` returning an ``nlu.engine.Parse``. The service classifies through
a ``ModelHolder``; hot reload (``chatserver.ops.model_reload``) swaps the model inside it,
so nothing is reassigned on the service, and a turn classifies with the model that was
current when it asked (one ``parse`` call).

A quick reply's payload (``/choose{"order": "#1006"}``, ``/human_agent``) is not
classified: ``understand`` reads its intent and JSON from the text. Only the intents of
the catalogue and the quick replies' controls are payloads; ``/anything`` else is text
like any other, read by the model (it names no new intent, or metric label).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from chatserver.dialogue.engine import CONTROL_INTENTS
from nlu.catalogue import INTENTS

if TYPE_CHECKING:
    from nlu.engine import Parse

__all__ = [
    "PAYLOAD_INTENTS",
    "Classifier",
    "ModelHolder",
    "Understood",
    "from_payload",
    "understand",
    "understood",
]

PAYLOAD_INTENTS = frozenset({*INTENTS, *CONTROL_INTENTS})
_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<json>\{.*\})?\s*$", re.DOTALL)


class Classifier(Protocol):
    """An intent model: ``nlu.engine.NLU``, or a stand-in in tests."""

    @property
    def version(self) -> str: ...

    @property
    def intents(self) -> tuple[str, ...]:
        """Every intent it can predict, sorted (for the console's "correct the intent")."""
        ...

    def parse(self, text: str, channel: str = "chat", expecting: str | None = None) -> Parse: ...


class ModelHolder:
    """The serving classifier. ``swap`` replaces it for every ``parse`` after it."""

    def __init__(self, classifier: Classifier) -> None:
        self._current = classifier

    @property
    def current(self) -> Classifier:
        return self._current

    @property
    def version(self) -> str:
        return self._current.version

    @property
    def intents(self) -> tuple[str, ...]:
        return self._current.intents

    def parse(self, text: str, channel: str = "chat", expecting: str | None = None) -> Parse:
        return self._current.parse(text, channel, expecting)

    def parse_many(self, texts: Sequence[str], channels: Sequence[str]) -> list[Parse]:
        """Many messages at once: one batched model call where the model has one."""
        current = self._current
        many = getattr(current, "parse_many", None)
        if many is None:
            return [current.parse(t, c) for t, c in zip(texts, channels, strict=True)]
        return list(many(list(texts), list(channels)))

    def swap(self, classifier: Classifier) -> Classifier:
        """Serve ``classifier`` from now on (one assignment); returns the one it replaces."""
        old, self._current = self._current, classifier
        return old


@dataclass(frozen=True)
class Understood:
    """What the service makes of one message: classified, or a button's payload."""

    intent: str | None
    confidence: float
    escalate: bool = False
    ranking: tuple[tuple[str, float], ...] = ()
    entities: tuple[tuple[str, str], ...] = ()  # (type, value)
    payload: dict[str, Any] = field(default_factory=dict, hash=False)
    reason: str | None = None
    model_version: str = "unknown"
    classified: bool = True  # False for a button's payload
    # The dialogue act (``nlu.acts.ACTS``) when the bot waited for an answer, else None.
    act: str | None = None
    act_confidence: float = 0.0
    # What the message asks, in the order written: (intent, how), at most three; how is
    # "ask" (a question or request), "statement" (told: maybe backstory) or "if"
    # (a request that depends on the answer to another: "cancel it if you can't ship").
    asks: tuple[tuple[str, str], ...] = ()


# What a quick reply does as a dialogue act (a button is an answer by construction).
_PAYLOAD_ACTS = {
    "affirm": "affirm",
    "deny": "deny",
    "choose": "choose",
    "human_agent": "ask_person",
}


def _how(ask: Any) -> str:
    if ask.conditional:
        return "if"
    return "statement" if getattr(ask, "statement", False) else "ask"


def understand(
    text: str, channel: str, classifier: Classifier, expecting: str | None = None
) -> Understood:
    """A payload's intent and JSON, or the classifier's reading of the text.

    ``expecting``: what the bot waits for (``nlu.acts.EXPECTING``), to read the act too.
    """
    payload = from_payload(text, expecting)
    if payload is not None:
        return payload
    parse = (
        classifier.parse(text, channel, expecting) if expecting else classifier.parse(text, channel)
    )
    return understood(parse, classifier)


def from_payload(text: str, expecting: str | None = None) -> Understood | None:
    """A button's payload (``/intent{json}``), or None for text the model must read."""
    match = _PAYLOAD.match(text.strip())
    if match and match["intent"] in PAYLOAD_INTENTS:
        try:
            payload = json.loads(match["json"]) if match["json"] else {}
        except ValueError:
            payload = {}
        if isinstance(payload, dict):
            intent = match["intent"]
            act = _PAYLOAD_ACTS.get(intent, "new_request") if expecting else None
            return Understood(
                intent, 1.0, ranking=((intent, 1.0),), payload=payload, classified=False,
                act=act, act_confidence=1.0 if act else 0.0,
            )  # fmt: skip
    return None


def understood(parse: Parse, classifier: Classifier) -> Understood:
    """The service's reading of the model's ``parse``."""
    act = getattr(parse, "act", None)
    return Understood(
        intent=parse.intent,
        confidence=float(parse.confidence),
        escalate=bool(parse.escalate),
        ranking=tuple((str(i), float(c)) for i, c in parse.ranking),
        entities=tuple((e.type, e.value) for e in parse.entities),
        reason=parse.reason,
        model_version=str(parse.model_version or classifier.version or "unknown"),
        act=act.act if act is not None else None,
        act_confidence=float(act.confidence) if act is not None else 0.0,
        asks=tuple((a.intent, _how(a)) for a in getattr(parse, "asks", ())),
    )
