"""The second stage: the message's probabilities, weighted toward what it asks.

The intent model scores the whole message (with its ask view, see
:mod:`nlu.classifier`); in a long message the backstory still pulls. The
reader also scores each unit of the message (:mod:`nlu.reading`) and blends
the whole message with the units that ask::

    p(intent) ∝ p_message · mean(p_ask units) ** w

* the ask units are the questions and requests that are not greetings, thanks
  or goodbyes, and not conditional;
* an ask made of generic words only ("where are they?", "when is it coming?",
  ``Unit.anaphoric``), or one the model is unsure of alone (best class under
  :data:`UNSURE`), is scored together with the statements just before it: "the
  gloves were not in the box. where are they?" is about a missing item;
* when the only requests are conditional ("…, cancel it if you can't ship"), the
  statements stand for the ask: the condition depends on them;
* only asks that are clear on their own count (best catalogue intent at least
  :data:`ASK_GATE` of the catalogue mass), and they only move the mass between
  catalogue intents: whether the message is out of scope stays the message's call;
* a message of one unit, or without any ask, keeps its own probabilities.

A product of experts, not an average: an ask unit that says little ("What can
you do?" after "The vase arrived in pieces") has flat probabilities and leaves
the message's as they are; one that says a lot ("has it shipped?") moves them.

``w`` (``ask_weight``) is chosen by cross-validation at training time, on
held-out folds and on "backstory + ask" messages composed from them
(:func:`nlu.train.fit`), and saved in the model's metadata. ``w = 0`` is the
message model alone, which is what models from before this stage get.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nlu.asks import UnitScores
from nlu.catalogue import OUT_OF_SCOPE
from nlu.reading import Unit, segment
from nlu.tokens import load_spacy

__all__ = ["ASK_GATE", "UNSURE", "MessageScores", "Reader", "blend"]

_BATCH = 1024
# An ask whose best class the model gives less than this alone is read with its context.
UNSURE = 0.5
# An ask moves the message only if its best catalogue intent has this share of its
# catalogue probability: "Can you send the legs?" says too little to outvote the story.
ASK_GATE = 0.6


@dataclass(frozen=True, slots=True)
class MessageScores:
    """One message read: the model's probabilities for it, and for each of its units."""

    proba: np.ndarray
    units: tuple[UnitScores, ...]
    oos: int | None = None  # the out_of_scope column, if the model has one

    def blended(self, weight: float) -> np.ndarray:
        return blend(self.proba, self.units, weight, self.oos)


class Reader:
    """Scores messages and their units with one intent model (a spaCy tokenizer of its own)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._nlp: Any = None
        classes = [str(c) for c in model.classes_]
        self._oos = classes.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in classes else None

    def read(self, cleaned: Sequence[str]) -> list[MessageScores]:
        """Message and unit probabilities for each cleaned text, batched."""
        cleaned = list(cleaned)
        if self._nlp is None:
            self._nlp = load_spacy()
        proba = _predict(self.model, cleaned)
        per_message = [segment(doc) for doc in self._nlp.pipe(cleaned)]
        spans: list[tuple[int, int, str]] = []  # (message, unit, text)
        contexts: list[tuple[int, int, str]] = []  # an ask with the statements before it
        for m, (text, units) in enumerate(zip(cleaned, per_message, strict=True)):
            if len(units) < 2:
                continue
            for u, unit in enumerate(units):
                spans.append((m, u, text[unit.start : unit.end]))
                start = _context_start(units, u)
                if start is not None:
                    contexts.append((m, u, text[start : unit.end]))
        unit_proba = _predict(self.model, [t for *_, t in spans])
        context_proba = _predict(self.model, [t for *_, t in contexts])
        rows: dict[tuple[int, int], np.ndarray] = {
            (m, u): row for (m, u, _), row in zip(spans, unit_proba, strict=True)
        }
        for (m, u, _), row in zip(contexts, context_proba, strict=True):
            if per_message[m][u].anaphoric or rows[m, u].max() < UNSURE:
                rows[m, u] = row
        result = []
        for m, units in enumerate(per_message):
            scored = tuple(
                UnitScores(unit, rows.get((m, u), proba[m])) for u, unit in enumerate(units)
            )  # a single unit's probabilities are the message's
            result.append(MessageScores(proba[m], scored, self._oos))
        return result


def blend(
    proba: np.ndarray, units: Sequence[UnitScores], weight: float, oos: int | None = None
) -> np.ndarray:
    """The message's probabilities blended with its ask units' (module docstring)."""
    if weight <= 0 or len(units) < 2:
        return proba
    topical = [s for s in units if not s.unit.social]
    asks = [s for s in topical if s.unit.ask and not s.unit.conditional]
    if not asks and any(s.unit.conditional for s in topical):
        asks = [s for s in topical if not s.unit.ask]
    # Which intent, not whether in scope: the message alone keeps the out-of-scope mass.
    inside = np.ones(len(proba), dtype=bool) if oos is None else np.arange(len(proba)) != oos
    asks = [s for s in asks if s.proba[inside].max() >= ASK_GATE * s.proba[inside].sum()]
    if not asks:
        return proba
    ask = np.mean([s.proba for s in asks], axis=0)
    floor = 1e-9
    logits = np.log(np.maximum(proba[inside], floor)) + weight * np.log(
        np.maximum(ask[inside], floor)
    )
    logits -= logits.max()
    mass = np.exp(logits)
    out = proba.copy()
    out[inside] = mass / mass.sum() * proba[inside].sum()
    return out


def _context_start(units: Sequence[Unit], u: int) -> int | None:
    """Where the statements just before ask ``u`` start (at most two, back to the last ask)."""
    unit = units[u]
    if not unit.ask or unit.social:
        return None
    start = None
    for before in reversed(units[max(0, u - 2) : u]):
        if before.ask or before.social:
            break
        start = before.start
    return start


def _predict(model: Any, texts: list[str]) -> np.ndarray:
    n_classes = len(model.classes_)
    if not texts:
        return np.zeros((0, n_classes))
    parts = [model.predict_proba(texts[i : i + _BATCH]) for i in range(0, len(texts), _BATCH)]
    return np.vstack(parts)
