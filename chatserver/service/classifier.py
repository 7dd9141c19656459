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

    def parse(self, text: str, channel: str = "chat") -> Parse: ...


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

    def parse(self, text: str, channel: str = "chat") -> Parse:
        return self._current.parse(text, channel)

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


def understand(text: str, channel: str, classifier: Classifier) -> Understood:
    """A payload's intent and JSON, or the classifier's reading of the text."""
    return from_payload(text) or understood(classifier.parse(text, channel), classifier)


def from_payload(text: str) -> Understood | None:
    """A button's payload (``/intent{json}``), or None for text the model must read."""
    match = _PAYLOAD.match(text.strip())
    if match and match["intent"] in PAYLOAD_INTENTS:
        try:
            payload = json.loads(match["json"]) if match["json"] else {}
        except ValueError:
            payload = {}
        if isinstance(payload, dict):
            intent = match["intent"]
            return Understood(
                intent, 1.0, ranking=((intent, 1.0),), payload=payload, classified=False
            )
    return None


def understood(parse: Parse, classifier: Classifier) -> Understood:
    """The service's reading of the model's ``parse``."""
    return Understood(
        intent=parse.intent,
        confidence=float(parse.confidence),
        escalate=bool(parse.escalate),
        ranking=tuple((str(i), float(c)) for i, c in parse.ranking),
        entities=tuple((e.type, e.value) for e in parse.entities),
        reason=parse.reason,
        model_version=str(parse.model_version or classifier.version or "unknown"),
    )
