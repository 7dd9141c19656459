"""The asks of one message, in the order written, from per-unit classification.

"can i return it if it doesnt fit? and how long do refunds take?" asks two
things; a long e-mail may ask about tracking and returns. The message-level
model gives the main ask (``Parse.intent``); this module finds the others:

1. the message is cut into units (:func:`nlu.reading.segment`);
2. each unit that asks something (a question or a request) is classified on
   its own by the same intent model; one whose best class is a catalogue
   intent above the operating threshold (and clear of the runner-up by the
   margin) is an ask. Backstory is not an ask: a statement counts only when
   the model is sure of it alone (:data:`STATEMENT_BAR`: "The mug arrived
   chipped." next to "can you change my address?"), and when nothing in the
   message asks explicitly, the message is one ask;
3. units with the same intent merge (the first one's span is kept); the main
   intent is always among the asks: if no ask gave it, it goes where the ask
   unit that scores it best stands if that one is above the threshold, else
   where the story starts (the first statement);
4. a conditional request ("cancel it if you can't ship") comes after the
   ask it depends on: the answer to the other one decides it;
5. at most :data:`MAX_ASKS`.

Greetings, thanks and goodbyes are never asks; they become ``signals``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlu.catalogue import OUT_OF_SCOPE
from nlu.reading import Unit

__all__ = [
    "MAX_ASKS",
    "SOCIAL",
    "STATEMENT_BAR",
    "Ask",
    "UnitScores",
    "find_asks",
    "social_signals",
]

MAX_ASKS = 3
# A statement is an ask of its own only this sure: "I can see the charge but got no
# confirmation" before "has it shipped?" is backstory. Chosen on nlu/data/dev_asks
# (0.9, 0.95, 0.98 or off: two asks read exactly 88 / 88 / 88 / 69 %, one-ask
# messages given a second ask 10 / 10 / 10 / 8 %).
STATEMENT_BAR = 0.9
SOCIAL = frozenset({"greeting", "thanks", "goodbye"})


@dataclass(frozen=True, slots=True)
class Ask:
    """One thing the customer asks: the intent, its probability, where it is written.

    ``start``/``end`` are character offsets in ``Parse.cleaned``; ``text`` is
    that span. ``conditional``: a request that depends on another answer
    ("cancel it if you can't ship"); ``statement``: read from a statement, not a
    question or a request (the dialogue may take it for backstory).
    """

    intent: str
    confidence: float
    start: int
    end: int
    text: str
    conditional: bool = False
    statement: bool = False  # told, not asked ("I paid on Monday"): maybe only backstory


@dataclass(frozen=True, slots=True)
class UnitScores:
    """A unit and the intent model's probabilities for it (columns: ``classes``)."""

    unit: Unit
    proba: np.ndarray


def find_asks(
    cleaned: str,
    units: Sequence[UnitScores],
    classes: Sequence[str],
    primary: str,
    primary_confidence: float,
    threshold: float,
    margin: float,
) -> tuple[Ask, ...]:
    """The asks of one message (see the module docstring), in the order written.

    ``primary`` is the message-level intent; pass "" when the message escalates
    (then only confident units are returned, for an agent to see). Units with
    empty ``proba`` were not scored (statements, by :class:`nlu.reader.Reader`).
    """
    whole = Ask(primary, primary_confidence, 0, len(cleaned), cleaned)
    if len(units) <= 1:
        if not primary:
            return ()
        conditional = len(units) == 1 and units[0].unit.conditional
        return (_replace_conditional(whole, conditional),)
    topical = [s for s in units if not s.unit.social]
    found: list[tuple[Ask, float]] = []  # (ask, position)
    for scores in topical:
        if not scores.proba.size:
            continue
        bar = threshold if scores.unit.ask else max(threshold, STATEMENT_BAR)
        intent, p = _best(scores.proba, classes, bar, margin)
        if not intent or intent in SOCIAL:
            continue
        unit = scores.unit
        ask = Ask(
            intent, p, unit.start, unit.end, cleaned[unit.start : unit.end], unit.conditional,
            not unit.ask,
        )  # fmt: skip
        same = next((i for i, (a, _) in enumerate(found) if a.intent == intent), None)
        if same is None:
            found.append((ask, unit.start))
            continue
        kept, position = found[same]
        # One ask per intent: the words of the question rather than of the story,
        # where it was first raised, as sure as its surest unit.
        shown = ask if unit.ask and not _is_ask_span(kept, topical) else kept
        found[same] = (
            Ask(
                intent,
                max(p, kept.confidence),
                shown.start,
                shown.end,
                shown.text,
                kept.conditional and ask.conditional,
                kept.statement and ask.statement,
            ),
            position,
        )
    if primary and all(a.intent != primary for a, _ in found):
        # Where the unit that scores it best stands (or, when none is above the
        # threshold, where the story starts: the first statement).
        column = list(classes).index(primary) if primary in classes else None
        scored = [s for s in topical if s.proba.size and column is not None]
        statements = [s for s in topical if not s.unit.ask] or topical or list(units)
        host = max(scored, key=lambda s: s.proba[column]) if scored else statements[0]
        if scored and host.proba[column] < threshold and statements:
            host = statements[0]
        unit = host.unit
        found.append(
            (
                Ask(
                    primary,
                    primary_confidence,
                    unit.start,
                    unit.end,
                    cleaned[unit.start : unit.end],
                    unit.conditional,
                    not unit.ask,
                ),
                unit.start,
            )
        )
    # In writing order, a conditional request after the asks it depends on.
    if not found:
        return (whole,) if primary else ()
    several = len(found) > 1  # (list.sort empties the list while it sorts)
    found.sort(key=lambda item: (item[0].conditional and several, item[1]))
    return tuple(a for a, _ in found[:MAX_ASKS])


def social_signals(
    units: Sequence[UnitScores], classes: Sequence[str], threshold: float
) -> set[str]:
    """Greeting, thanks and goodbye units of a message, as signal names."""
    signals = set()
    for scores in units:
        if not scores.proba.size or not scores.unit.social:
            continue
        intent, _ = _best(scores.proba, classes, threshold, 0.0)
        if intent in SOCIAL:
            signals.add(intent)
    return signals


def _best(
    proba: np.ndarray, classes: Sequence[str], threshold: float, margin: float
) -> tuple[str, float]:
    order = np.argsort(-proba, kind="stable")
    top, second = order[0], order[1] if len(order) > 1 else order[0]
    intent, p = str(classes[top]), float(proba[top])
    if intent == OUT_OF_SCOPE or p < threshold or (len(order) > 1 and p - proba[second] < margin):
        return "", p
    return intent, round(p, 6)


def _is_ask_span(ask: Ask, units: Sequence[UnitScores]) -> bool:
    return any(s.unit.ask and s.unit.start == ask.start for s in units)


def _replace_conditional(ask: Ask, conditional: bool) -> Ask:
    if ask.conditional == conditional:
        return ask
    return Ask(ask.intent, ask.confidence, ask.start, ask.end, ask.text, conditional)
