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
from nlu.classifier import Part
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
        proba, units = _predict(self.model, cleaned)
        per_message = units
        if per_message is None:
            if self._nlp is None:
                self._nlp = load_spacy()
            per_message = [segment(doc) for doc in self._nlp.pipe(cleaned)]
        spans: list[tuple[int, int, Part]] = []  # (message, unit, part)
        for m, (text, units) in enumerate(zip(cleaned, per_message, strict=True)):
            if len(units) < 2:
                continue
            for u in range(len(units)):
                spans.append((m, u, _part(text, units, u, u)))
        unit_proba = _predict_parts(self.model, [p for *_, p in spans])
        rows: dict[tuple[int, int], np.ndarray] = {
            (m, u): row for (m, u, _), row in zip(spans, unit_proba, strict=True)
        }
        # An ask that names no topic, or that the model is unsure of alone, is
        # read with the statements just before it.
        contexts: list[tuple[int, int, Part]] = []
        for m, u, _ in spans:
            units = per_message[m]
            start = _context_start(units, u)
            if start is not None and (units[u].anaphoric or rows[m, u].max() < UNSURE):
                contexts.append((m, u, _part(cleaned[m], units, start, u)))
        context_proba = _predict_parts(self.model, [p for *_, p in contexts])
        for (m, u, _), row in zip(contexts, context_proba, strict=True):
            rows[m, u] = row
        result = []
        for m, units in enumerate(per_message):
            if len(units) < 2:  # a single unit's probabilities are the message's
                scored = tuple(UnitScores(unit, proba[m]) for unit in units)
            else:
                scored = tuple(UnitScores(unit, rows[m, u]) for u, unit in enumerate(units))
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
    """The first of the statements just before ask ``u`` (at most two, back to the last ask)."""
    unit = units[u]
    if not unit.ask or unit.social:
        return None
    start = None
    for k in range(u - 1, max(-1, u - 3), -1):
        if units[k].ask or units[k].social:
            break
        start = k
    return start


def _part(text: str, units: Sequence[Unit], first: int, last: int) -> Part:
    """Units ``first``..``last`` of a message as a part to score: text, lemmas, ask lemmas."""
    chosen = units[first : last + 1]
    lemmas = [lemma for unit in chosen for lemma in unit.lemmas]
    asks = [lemma for unit in chosen if unit.ask for lemma in unit.lemmas]
    return text[chosen[0].start : chosen[-1].end], lemmas, asks


def _predict_parts(model: Any, parts: list[Part]) -> np.ndarray:
    if not parts:
        return np.zeros((0, len(model.classes_)))
    if hasattr(model, "predict_parts"):
        return np.vstack(
            [model.predict_parts(parts[i : i + _BATCH]) for i in range(0, len(parts), _BATCH)]
        )
    return _predict(model, [raw for raw, _, _ in parts])[0]


def _predict(model: Any, texts: list[str]) -> tuple[np.ndarray, list[list[Unit]] | None]:
    """Probabilities (and units, when the model read them anyway), batched."""
    if not texts:
        return np.zeros((0, len(model.classes_))), []
    probas: list[np.ndarray] = []
    units: list[list[Unit]] | None = []
    for i in range(0, len(texts), _BATCH):
        chunk = texts[i : i + _BATCH]
        if hasattr(model, "read_proba"):
            proba, read = model.read_proba(chunk)
        else:
            proba, read = model.predict_proba(chunk), None
        probas.append(proba)
        if read is None or units is None:
            units = None
        else:
            units.extend(list(u) for u in read)
    return np.vstack(probas), units
