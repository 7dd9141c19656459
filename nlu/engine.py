"""The NLU facade the server uses: load a model once, parse messages.

Stable API (other packages depend on it)::

    from nlu.engine import NLU, Parse

    nlu = NLU.load(model_dir=None, threshold=None)   # None: var/models, model's own threshold
    p = nlu.parse("Where is order #1001?", channel="chat")   # channel: "chat" | "email"
    ps = nlu.parse_many(texts, channel="email")       # batched; channel may be one per text
    nlu.version                                        # the model version id
    nlu.intents                                        # the classes it predicts, sorted

    p.text, p.cleaned          # the input, and what the classifier saw
    p.intent, p.confidence     # best catalogue intent (never "out_of_scope") and its probability
    p.escalate, p.reason       # hand over to a human? reason: None | "empty" | "unreadable" |
                               # "unsupported_language" | "out_of_scope" | "low_confidence" |
                               # "ambiguous" | "no_model"
    p.ranking                  # ((class, probability), ...) best first, at most
                               # NLU.ranking_size (10) classes; may include "out_of_scope"
    p.entities                 # (Entity(type, value), ...): email, order_number, tracking_number
    p.model_version

``NLU.load`` raises :class:`~nlu.errors.ModelNotFound`, :class:`~nlu.errors.BadModelFile`
or :class:`~nlu.errors.IncompatibleModel`; a server that wants to start anyway can use
``NLU.unavailable()``, which escalates everything with reason "no_model". ``parse``
raises ``TypeError`` for a non-string text and ``ValueError`` for an unknown channel;
any string (empty, a megabyte, binary junk, emoji) gives a Parse. Loading takes about
a second; ``parse`` about a millisecond, so it can run inline on the event loop.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlu.cleaning import clean
from nlu.decision import DEFAULT_MARGIN, DEFAULT_THRESHOLD, decide
from nlu.entities import Entity, extract

__all__ = ["CHANNELS", "DEFAULT_MODEL_DIR", "NLU", "Parse"]

CHANNELS = ("chat", "email")
# Mirrors chatserver.settings.Settings.model_dir; the server passes its own.
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "var" / "models"
_BATCH = 1024


@dataclass(frozen=True, slots=True)
class Parse:
    """What the NLU understood of one message, and whether a human should take it."""

    text: str
    cleaned: str
    intent: str
    confidence: float
    escalate: bool
    ranking: tuple[tuple[str, float], ...]
    entities: tuple[Entity, ...]
    model_version: str
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `chatbot classify` (plus reason, cleaned and model_version)."""
        return {
            "text": self.text,
            "intent": self.intent,
            "confidence": self.confidence,
            "escalate": self.escalate,
            "reason": self.reason,
            "ranking": [[c, p] for c, p in self.ranking],
            "entities": [{"type": e.type, "value": e.value} for e in self.entities],
            "cleaned": self.cleaned,
            "model_version": self.model_version,
        }


class NLU:
    """A loaded intent model with its operating point (threshold and margin).

    Args:
        model: a fitted :class:`~nlu.classifier.IntentClassifier`, or None (escalate all).
        version: the model's version id.
        threshold: escalate when the top probability is below it.
        margin: escalate when the top two probabilities are closer than it.
    """

    def __init__(
        self,
        model: Any | None,
        *,
        version: str = "none",
        threshold: float = DEFAULT_THRESHOLD,
        margin: float = DEFAULT_MARGIN,
        meta: Any | None = None,
        ranking_size: int = 10,
    ) -> None:
        if not 0.0 <= threshold <= 1.0 or not 0.0 <= margin <= 1.0:
            raise ValueError("threshold and margin must lie in [0, 1]")
        if ranking_size < 2:
            raise ValueError("ranking_size must be at least 2")
        self.model = model
        self.version = version
        self.threshold = threshold
        self.margin = margin
        self.meta = meta
        self.ranking_size = ranking_size

    @classmethod
    def load(
        cls,
        model_dir: Path | None = None,
        threshold: float | None = None,
        margin: float | None = None,
    ) -> NLU:
        """Load the CURRENT model of ``model_dir`` (or a version directory itself).

        ``threshold``/``margin`` override the model's own operating point.

        Raises:
            ModelNotFound, BadModelFile, IncompatibleModel: see :mod:`nlu.errors`.
        """
        from nlu import registry

        model, meta = registry.load(Path(model_dir) if model_dir else DEFAULT_MODEL_DIR)
        nlu = cls(
            model,
            version=meta.version,
            threshold=meta.threshold if threshold is None else threshold,
            margin=meta.margin if margin is None else margin,
            meta=meta,
        )
        nlu.parse("warm up")  # build the spaCy pipeline now, not on the first customer
        return nlu

    @property
    def intents(self) -> tuple[str, ...]:
        """Every class the model predicts ("out_of_scope" included), sorted; () without one."""
        if self.model is None:
            return ()
        return tuple(sorted(str(c) for c in self.model.classes_))

    @classmethod
    def unavailable(cls) -> NLU:
        """An NLU without a model: every message escalates with reason "no_model"."""
        return cls(None)

    def parse(self, text: str, channel: str = "chat") -> Parse:
        """Clean, classify and extract entities from one message."""
        return self.parse_many([text], channel)[0]

    def parse_many(
        self, texts: Iterable[str], channel: str | Sequence[str] = "chat"
    ) -> list[Parse]:
        """Parse many messages with one batched model call per 1,024 of them.

        ``channel`` is one channel for all texts, or a sequence with one per text.
        """
        texts = list(texts)
        channels = [channel] * len(texts) if isinstance(channel, str) else list(channel)
        if len(channels) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(channels)} channels")
        for i, (text, ch) in enumerate(zip(texts, channels, strict=True)):
            if not isinstance(text, str):
                raise TypeError(f"text {i} must be a str, not {type(text).__name__}")
            if ch not in CHANNELS:
                raise ValueError(f"channel must be one of {CHANNELS}, got {ch!r}")
        cleaned = [clean(t, ch) for t, ch in zip(texts, channels, strict=True)]
        rankings = self._rank(cleaned)
        parses = []
        for text, tidy, ranking in zip(texts, cleaned, rankings, strict=True):
            decision = decide(ranking, self.threshold, self.margin)
            reason = _input_problem(text, tidy) or decision.reason
            if self.model is None:
                reason = "no_model"
            parses.append(
                Parse(
                    text=text,
                    cleaned=tidy,
                    intent=decision.intent,
                    confidence=decision.confidence,
                    escalate=reason is not None,
                    ranking=ranking,
                    entities=tuple(extract(tidy)),
                    model_version=self.version,
                    reason=reason,
                )
            )
        return parses

    def _rank(self, cleaned: list[str]) -> list[tuple[tuple[str, float], ...]]:
        if self.model is None:
            return [() for _ in cleaned]
        classes = [str(c) for c in self.model.classes_]
        rankings: list[tuple[tuple[str, float], ...]] = []
        for start in range(0, len(cleaned), _BATCH):
            proba = self.model.predict_proba(cleaned[start : start + _BATCH])
            # classes_ is sorted, so a stable sort breaks ties by name as rank() does.
            order = np.argsort(-proba, axis=1, kind="stable")[:, : self.ranking_size]
            top = np.round(np.take_along_axis(proba, order, axis=1), 6).tolist()
            rankings.extend(
                tuple(zip([classes[j] for j in idx], ps, strict=True))
                for idx, ps in zip(order.tolist(), top, strict=True)
            )
        return rankings

    def __repr__(self) -> str:
        return f"NLU(version={self.version!r}, threshold={self.threshold}, margin={self.margin})"


def _input_problem(raw: str, cleaned: str) -> str | None:
    """Why a message cannot be classified at all, from its text alone."""
    letters = [c for c in cleaned if c.isalpha()]
    if not letters:
        return "empty" if not any(c.isdigit() for c in cleaned) else None
    # Binary data decoded as text is full of control characters; prose has none.
    head = raw[:4000]
    controls = sum(1 for c in head if c < " " and c not in "\n\r\t")
    if controls > 0.05 * len(head):
        return "unreadable"
    visible = [c for c in cleaned if not c.isspace()]
    readable = sum(1 for c in visible if c.isalnum() or c in _PUNCTUATION)
    if len(visible) >= 8 and readable / len(visible) < 0.6:
        return "unreadable"
    latin = sum(1 for c in letters if _is_latin(c))
    if latin / len(letters) < 0.5:
        return "unsupported_language"
    return None


_PUNCTUATION = frozenset(".,;:!?'\"()-#@/&%$€£+*_")


def _is_latin(ch: str) -> bool:
    if ch < "\u0250":  # Basic Latin through Latin Extended-B
        return True
    return unicodedata.name(ch, "").startswith("LATIN")
