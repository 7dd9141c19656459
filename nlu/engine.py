"""The NLU facade the server uses: load a model once, parse messages.

Stable API (other packages depend on it)::

    from nlu.engine import NLU, Parse

    nlu = NLU.load(model_dir=None, threshold=None)   # None: var/models, model's own threshold
    p = nlu.parse("Where is order #1001?", channel="chat")   # channel: "chat" | "email"
    p = nlu.parse("yeah go ahead", expecting="yes_no")       # also classify the dialogue act
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
    p.asks                     # (Ask(intent, confidence, start, end, text, conditional), ...):
                               # what the message asks, in the order written, at most 3;
                               # p.intent is one of them unless it is a greeting, thanks
                               # or goodbye beside real asks; () when escalated
    p.act                      # Act(act, confidence, ranking) when ``expecting`` was given
                               # (and the model has an act model), else None
    p.signals                  # sorted names: "upset", "greeting", "thanks", "goodbye", "closing"

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

from nlu.acts import EXPECTING, Act, mask
from nlu.asks import Ask, find_asks, social_signals
from nlu.cleaning import clean
from nlu.decision import DEFAULT_MARGIN, DEFAULT_THRESHOLD, decide
from nlu.entities import Entity, extract
from nlu.lexicon import load_lexicon, upset_matcher
from nlu.reader import MessageScores, Reader

__all__ = ["CHANNELS", "DEFAULT_MODEL_DIR", "EXPECTING", "NLU", "Act", "Ask", "Parse"]

CHANNELS = ("chat", "email")
_ROOT = Path(__file__).resolve().parent.parent
# Mirrors chatserver.settings.Settings.model_dir (the server passes its own): beside the
# code in a source checkout, else under the working directory (an installed package).
DEFAULT_MODEL_DIR = (_ROOT if (_ROOT / "pyproject.toml").is_file() else Path()) / "var" / "models"
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
    asks: tuple[Ask, ...] = ()
    act: Act | None = None
    signals: tuple[str, ...] = ()

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
            "asks": [_ask_dict(a) for a in self.asks],
            "act": None if self.act is None else _act_dict(self.act),
            "signals": list(self.signals),
        }


class NLU:
    """A loaded intent model with its operating point (threshold and margin).

    Args:
        model: a fitted :class:`~nlu.classifier.IntentClassifier`, or None (escalate all).
        version: the model's version id.
        threshold: escalate when the top probability is below it.
        margin: escalate when the top two probabilities are closer than it.
        acts: the dialogue-act model (an IntentClassifier over :data:`nlu.acts.ACTS`),
            or None: ``Parse.act`` is then always None.
        upset: the upset cues (default: ``nlu/data/lexicon.yml``).
        ask_weight: how much the ask units outweigh the whole message
            (:mod:`nlu.reader`); 0 for the message alone.
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
        acts: Any | None = None,
        upset: Sequence[str] | None = None,
        ask_weight: float = 0.0,
    ) -> None:
        if not 0.0 <= threshold <= 1.0 or not 0.0 <= margin <= 1.0:
            raise ValueError("threshold and margin must lie in [0, 1]")
        if ranking_size < 2:
            raise ValueError("ranking_size must be at least 2")
        if not 0.0 <= ask_weight <= 10.0:
            raise ValueError("ask_weight must lie in [0, 10]")
        self.model = model
        self.version = version
        self.threshold = threshold
        self.margin = margin
        self.meta = meta
        self.ranking_size = ranking_size
        self.acts = acts
        self.ask_weight = ask_weight
        self._upset = upset_matcher(load_lexicon().upset if upset is None else upset)
        self._reader = Reader(model) if model is not None else None

    @classmethod
    def load(
        cls,
        model_dir: Path | None = None,
        threshold: float | None = None,
        margin: float | None = None,
        *,
        acts: bool = True,
    ) -> NLU:
        """Load the CURRENT model of ``model_dir`` (or a version directory itself).

        ``threshold``/``margin`` override the model's own operating point. ``acts=False``
        skips the dialogue-act model (no ``Parse.act``): a one-off classification that
        does not ask for acts starts in about half the time.

        Raises:
            ModelNotFound, BadModelFile, IncompatibleModel: see :mod:`nlu.errors`.
        """
        from nlu import registry

        path = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
        model, meta = registry.load(path)
        nlu = cls(
            model,
            version=meta.version,
            threshold=meta.threshold if threshold is None else threshold,
            margin=meta.margin if margin is None else margin,
            meta=meta,
            acts=registry.load_acts(path) if acts else None,
            ask_weight=float(meta.params.get("ask_weight", 0.0)),
        )
        # Build the spaCy pipelines now, not on the first customer.
        nlu.parse("warm up. and then?", expecting="yes_no")
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

    def parse(self, text: str, channel: str = "chat", expecting: str | None = None) -> Parse:
        """Clean, classify and extract entities from one message.

        ``expecting``: what the bot asked for (one of :data:`~nlu.acts.EXPECTING`),
        to classify the message's dialogue act too (``Parse.act``); None when
        the bot is not waiting for an answer.
        """
        return self.parse_many([text], channel, expecting)[0]

    def parse_many(
        self,
        texts: Iterable[str],
        channel: str | Sequence[str] = "chat",
        expecting: str | Sequence[str | None] | None = None,
    ) -> list[Parse]:
        """Parse many messages with one batched model call per 1,024 of them.

        ``channel`` is one channel for all texts, or a sequence with one per text;
        ``expecting`` likewise (None or a string for all).
        """
        texts = list(texts)
        channels = [channel] * len(texts) if isinstance(channel, str) else list(channel)
        if expecting is None or isinstance(expecting, str):
            expectations: list[str | None] = [expecting] * len(texts)
        else:
            expectations = list(expecting)
        if len(channels) != len(texts) or len(expectations) != len(texts):
            raise ValueError(
                f"{len(texts)} texts but {len(channels)} channels, {len(expectations)} expectations"
            )
        for i, (text, ch, ex) in enumerate(zip(texts, channels, expectations, strict=True)):
            if not isinstance(text, str):
                raise TypeError(f"text {i} must be a str, not {type(text).__name__}")
            if ch not in CHANNELS:
                raise ValueError(f"channel must be one of {CHANNELS}, got {ch!r}")
            if ex is not None and ex not in EXPECTING:
                raise ValueError(f"expecting must be None or one of {EXPECTING}, got {ex!r}")
        cleaned = [clean(t, ch) for t, ch in zip(texts, channels, strict=True)]
        reads = self._reader.read(cleaned) if self._reader is not None else None
        rankings = self._rank(reads, len(cleaned))
        units = [r.units for r in reads] if reads is not None else [() for _ in cleaned]
        acts = self._acts(cleaned, expectations)
        classes = self._classes()
        parses = []
        for text, tidy, ranking, scores, act in zip(
            texts, cleaned, rankings, units, acts, strict=True
        ):
            decision = decide(ranking, self.threshold, self.margin)
            reason = _input_problem(text, tidy) or decision.reason
            if self.model is None:
                reason = "no_model"
            asks: tuple[Ask, ...] = ()
            signals: set[str] = set()
            if self.model is not None and tidy:
                asks = find_asks(
                    tidy,
                    scores,
                    classes,
                    "" if reason is not None else decision.intent,
                    decision.confidence,
                    self.threshold,
                    self.margin,
                )
                signals = social_signals(scores, classes, self.threshold)
                if reason is None and decision.intent in _SOCIAL_INTENTS:
                    signals.add(decision.intent)
                if "goodbye" in signals and all(a.intent in _SOCIAL_INTENTS for a in asks):
                    signals.add("closing")
                asks = tuple(a for a in asks if a.intent not in _SOCIAL_INTENTS) or asks
            if act is not None:  # a reply to the bot: its act says whether it closes
                signals -= {"thanks", "goodbye", "closing"}
                signals |= _ACT_SIGNALS.get(act.act, set())
            if any(a.intent not in _SOCIAL_INTENTS for a in asks):
                signals.discard("closing")  # "bye, and cancel my order" is not a goodbye
            if tidy and self._upset(tidy):
                signals.add("upset")
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
                    asks=asks if reason is None else (),
                    act=act,
                    signals=tuple(sorted(signals)),
                )
            )
        return parses

    def _classes(self) -> list[str]:
        return [str(c) for c in self.model.classes_] if self.model is not None else []

    def _acts(self, cleaned: list[str], expectations: list[str | None]) -> list[Act | None]:
        wanted = [i for i, e in enumerate(expectations) if e is not None]
        result: list[Act | None] = [None] * len(cleaned)
        if self.acts is None or not wanted:
            return result
        classes = [str(c) for c in self.acts.classes_]
        for start in range(0, len(wanted), _BATCH):
            chunk = wanted[start : start + _BATCH]
            proba = self.acts.predict_proba([mask(cleaned[i]) for i in chunk])
            for i, row in zip(chunk, proba, strict=True):
                order = np.argsort(-row, kind="stable")[:3]
                ranking = tuple((classes[j], round(float(row[j]), 6)) for j in order)
                result[i] = Act(ranking[0][0], ranking[0][1], ranking)
        return result

    def _rank(
        self, reads: list[MessageScores] | None, n: int
    ) -> list[tuple[tuple[str, float], ...]]:
        if reads is None:
            return [() for _ in range(n)]
        classes = self._classes()
        rankings: list[tuple[tuple[str, float], ...]] = []
        for read in reads:
            proba = read.blended(self.ask_weight)
            # classes_ is sorted, so a stable sort breaks ties by name as rank() does.
            order = np.argsort(-proba, kind="stable")[: self.ranking_size]
            top = np.round(proba[order], 6).tolist()
            rankings.append(tuple(zip([classes[j] for j in order], top, strict=True)))
        return rankings

    def __repr__(self) -> str:
        return f"NLU(version={self.version!r}, threshold={self.threshold}, margin={self.margin})"


_SOCIAL_INTENTS = frozenset({"greeting", "thanks", "goodbye"})
_ACT_SIGNALS = {"thanks": {"thanks"}, "goodbye": {"goodbye", "closing"}}


def _ask_dict(ask: Ask) -> dict[str, Any]:
    return {
        "intent": ask.intent,
        "confidence": ask.confidence,
        "start": ask.start,
        "end": ask.end,
        "text": ask.text,
        "conditional": ask.conditional,
    }


def _act_dict(act: Act) -> dict[str, Any]:
    return {"act": act.act, "confidence": act.confidence, "ranking": [list(r) for r in act.ranking]}


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
