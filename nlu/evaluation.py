"""Scoring a model on labelled examples, the way the server will use it.

A message's outcome is its intent when answered, ``out_of_scope`` when
escalated; an out-of-scope example is right when escalated. Per-intent
precision/recall/F1 and the confusion matrix are over those outcomes. The
threshold curve replays :func:`nlu.decision.decide` at each threshold over the
same probabilities, so the marked operating point is exactly what ships.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nlu.catalogue import OUT_OF_SCOPE
from nlu.dataset import Example
from nlu.decision import decide
from nlu.engine import NLU, Parse

__all__ = ["CURVE_THRESHOLDS", "Evaluation", "Miss", "evaluate", "format_text"]

CURVE_THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.0, 1.0001, 0.05))
_MAX_ERRORS_PER_INTENT = 10


@dataclass(frozen=True)
class Miss:
    """One wrongly handled example."""

    text: str
    expected: str
    outcome: str
    intent: str
    confidence: float
    reason: str | None


@dataclass(frozen=True)
class Evaluation:
    """Scores of one model on one labelled set at its operating point, plus the curve."""

    model_version: str
    threshold: float
    margin: float
    n: int
    n_out_of_scope: int
    accuracy: float  # answered right, or escalated when out of scope
    intent_accuracy: float  # best intent right, in-scope examples, escalation ignored
    answered_accuracy: float  # of the messages answered, how many with the right intent
    escalation_rate: float
    in_scope_escalation_rate: float
    oos_recall: float  # out-of-scope examples escalated
    labels: tuple[str, ...]
    per_label: dict[str, dict[str, float]]
    confusion: tuple[tuple[int, ...], ...]  # rows: expected, columns: outcome, in ``labels`` order
    curve: tuple[dict[str, float], ...]
    errors: dict[str, tuple[Miss, ...]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate(nlu: NLU, examples: Sequence[Example]) -> Evaluation:
    """Parse every example with ``nlu`` and score the outcomes."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    parses: list[Parse] = []
    for channel in ("chat", "email"):
        group = [e for e in examples if e.channel == channel]
        parses.extend(nlu.parse_many([e.text for e in group], channel))
    ordered = [e for ch in ("chat", "email") for e in examples if e.channel == ch]
    truth = np.asarray([e.intent for e in ordered])
    outcome = np.asarray([OUT_OF_SCOPE if p.escalate else p.intent for p in parses])
    best = np.asarray([p.intent for p in parses])
    oos = truth == OUT_OF_SCOPE
    answered = outcome != OUT_OF_SCOPE

    labels = tuple(sorted(set(truth) | set(outcome), key=lambda c: (c == OUT_OF_SCOPE, c)))
    p, r, f, s = precision_recall_fscore_support(
        truth, outcome, labels=list(labels), zero_division=0
    )
    per_label = {
        label: {
            "precision": round(float(p[i]), 4),
            "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "support": int(s[i]),
        }
        for i, label in enumerate(labels)
    }
    confusion = confusion_matrix(truth, outcome, labels=list(labels))

    errors: dict[str, list[Miss]] = {}
    for example, parse, got in zip(ordered, parses, outcome, strict=True):
        if got != example.intent:
            bucket = errors.setdefault(example.intent, [])
            if len(bucket) < _MAX_ERRORS_PER_INTENT:
                bucket.append(
                    Miss(
                        example.text[:500],
                        example.intent,
                        str(got),
                        parse.intent,
                        parse.confidence,
                        parse.reason,
                    )
                )
    return Evaluation(
        model_version=nlu.version,
        threshold=nlu.threshold,
        margin=nlu.margin,
        n=len(ordered),
        n_out_of_scope=int(oos.sum()),
        accuracy=_mean(outcome == truth),
        intent_accuracy=_mean(best[~oos] == truth[~oos]),
        answered_accuracy=_mean(outcome[answered] == truth[answered]),
        escalation_rate=_mean(~answered),
        in_scope_escalation_rate=_mean(~answered[~oos]),
        oos_recall=_mean(~answered[oos]),
        labels=labels,
        per_label=per_label,
        confusion=tuple(tuple(int(v) for v in row) for row in confusion),
        curve=tuple(_curve(parses, truth, nlu.threshold, nlu.margin)),
        errors={k: tuple(v) for k, v in sorted(errors.items())},
    )


def _curve(
    parses: list[Parse], truth: np.ndarray, operating: float, margin: float
) -> list[dict[str, float]]:
    oos = truth == OUT_OF_SCOPE
    forced = np.asarray([p.reason in _INPUT_REASONS for p in parses], dtype=bool)
    points = []
    for threshold in sorted({*CURVE_THRESHOLDS, round(operating, 4)}):
        decisions = [decide(p.ranking, threshold, margin) for p in parses]
        escalate = forced | np.asarray([d.escalate for d in decisions])
        outcome = np.where(escalate, OUT_OF_SCOPE, [d.intent for d in decisions])
        points.append(
            {
                "threshold": float(threshold),
                "accuracy": _mean(outcome == truth),
                "escalation_rate": _mean(escalate),
                "answered_accuracy": _mean(outcome[~escalate] == truth[~escalate]),
                "oos_recall": _mean(escalate[oos]),
            }
        )
    return points


_INPUT_REASONS = {"empty", "unreadable", "unsupported_language", "no_model"}


def _mean(values: np.ndarray) -> float:
    return round(float(np.mean(values)), 4) if values.size else 0.0


def format_text(ev: Evaluation) -> str:
    """A plain-text summary for the terminal."""
    lines = [
        f"model {ev.model_version}: threshold {ev.threshold:.2f}, margin {ev.margin:.2f}",
        f"{ev.n} examples ({ev.n_out_of_scope} out of scope)",
        f"accuracy (escalation counted as out_of_scope): {ev.accuracy:.1%}",
        f"intent accuracy (in-scope, best intent):       {ev.intent_accuracy:.1%}",
        f"answered accuracy:                             {ev.answered_accuracy:.1%}",
        f"escalation rate: {ev.escalation_rate:.1%} overall, "
        f"{ev.in_scope_escalation_rate:.1%} of in-scope, {ev.oos_recall:.1%} of out-of-scope",
        "",
        f"{'intent':<22}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}",
    ]
    for label in ev.labels:
        m = ev.per_label[label]
        lines.append(
            f"{label:<22}{m['precision']:>10.2f}{m['recall']:>8.2f}{m['f1']:>8.2f}"
            f"{m['support']:>9d}"
        )
    lines += ["", "threshold  accuracy  escalated  answered-acc  oos-recall"]
    for point in ev.curve:
        mark = "  <- operating point" if abs(point["threshold"] - ev.threshold) < 1e-4 else ""
        lines.append(
            f"{point['threshold']:>9.2f}  {point['accuracy']:>8.1%}  {point['escalation_rate']:>9.1%}"
            f"  {point['answered_accuracy']:>12.1%}  {point['oos_recall']:>10.1%}{mark}"
        )
    return "\n".join(lines)
