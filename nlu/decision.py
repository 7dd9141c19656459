"""When to answer and when to hand over: threshold and ambiguity margin.

Kept apart from the model so the rule is one small, tested function, and the
evaluation sweeps exactly what the server does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlu.catalogue import OUT_OF_SCOPE

__all__ = [
    "DEFAULT_MARGIN",
    "DEFAULT_THRESHOLD",
    "Decision",
    "choose_operating_point",
    "decide",
    "rank",
]

DEFAULT_THRESHOLD = 0.5
DEFAULT_MARGIN = 0.05


@dataclass(frozen=True, slots=True)
class Decision:
    """The best in-catalogue intent, its confidence, and whether to escalate and why."""

    intent: str
    confidence: float
    escalate: bool
    reason: str | None


def rank(proba: Sequence[float], classes: Sequence[str]) -> tuple[tuple[str, float], ...]:
    """All classes with their probabilities, most probable first (ties by name)."""
    pairs = [(str(c), round(float(p), 6)) for c, p in zip(classes, proba, strict=True)]
    return tuple(sorted(pairs, key=lambda cp: (-cp[1], cp[0])))


def decide(ranking: Sequence[tuple[str, float]], threshold: float, margin: float) -> Decision:
    """Escalate when out-of-scope wins, the top score is under ``threshold``, or
    the top two are closer than ``margin``; the intent is the best real intent anyway.
    """
    if not ranking:
        return Decision("", 0.0, True, "no_model")
    intents = [(c, p) for c, p in ranking if c != OUT_OF_SCOPE]
    intent, confidence = intents[0] if intents else ("", 0.0)
    top_class, top = ranking[0]
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    if top_class == OUT_OF_SCOPE:
        reason: str | None = "out_of_scope"
    elif top < threshold:
        reason = "low_confidence"
    elif top - second < margin:
        reason = "ambiguous"
    else:
        reason = None
    return Decision(intent, confidence, reason is not None, reason)


def choose_operating_point(
    proba: np.ndarray,
    classes: Sequence[str],
    y_true: Sequence[str],
    thresholds: Sequence[float] = tuple(np.round(np.arange(0.0, 0.951, 0.01), 2)),
    margins: Sequence[float] = (0.0,),
    tolerance: float = 0.0,
) -> tuple[float, float, float]:
    """The (threshold, margin) that maximises accuracy with escalation as its own class.

    A message counts as right when it is answered with its true intent, or
    escalated when its true class is out-of-scope (the CLINC150 protocol).
    Among points within ``tolerance`` of the best accuracy the most cautious
    (highest threshold, then margin) wins: a handover costs less than a wrong answer.
    Returns (threshold, margin, accuracy).
    """
    classes_arr = np.asarray(classes)
    truth = np.asarray(y_true)
    order = np.argsort(-proba, axis=1)
    top = proba[np.arange(len(proba)), order[:, 0]]
    second = proba[np.arange(len(proba)), order[:, 1]] if proba.shape[1] > 1 else 0.0
    predicted = classes_arr[order[:, 0]]
    oos_truth = truth == OUT_OF_SCOPE
    points = []
    for margin in margins:
        for threshold in thresholds:
            escalate = (predicted == OUT_OF_SCOPE) | (top < threshold) | (top - second < margin)
            right = np.where(escalate, oos_truth, predicted == truth)
            accuracy = float(right.mean()) if len(right) else 0.0
            points.append((accuracy, float(threshold), float(margin)))
    best = max(accuracy for accuracy, _, _ in points)
    if tolerance <= 0:  # the first best point: lowest margin, then lowest threshold
        accuracy, threshold, margin = next(p for p in points if p[0] == best)
    else:
        accuracy, threshold, margin = max(
            (p for p in points if p[0] >= best - tolerance - 1e-12), key=lambda p: (p[1], p[2])
        )
    return threshold, margin, accuracy
