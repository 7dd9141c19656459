"""Scoring the help-center answers: precision at the threshold, coverage, the curve.

A question is **answered** when the best article's confidence reaches the threshold; an
answer is **correct** when that article is one of the question's articles. Then:

- precision = correct answers / answers (the aim: ≥ 90 %);
- coverage = correct answers / questions that have an answering article;
- answer rate = answers / all questions; false answers on "none" questions are counted
  apart (``null_answered``).

Two protocols. Held-out: the model is fitted on the tuning set, its threshold chosen on
the tuning set's cross-validated probabilities, and the held-out questions are only
scored. Without a held-out file: cross-validation on the tuning set (each question scored
by a model that never saw it; the threshold is chosen on those same probabilities, so
these figures are optimistic). Both rankers are run so the choice stays measured.

With the intent model's reading of each question (``parses``), the figures the server
sees are added (``routed``): :func:`~nlu.retrieval.route.route` sends a question the
classifier gives confidently to an order or conversation intent to its script, so only
the rest can be answered from an article.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nlu.retrieval.answers import fit_answer_model
from nlu.retrieval.confidence import THRESHOLDS, choose_threshold, cross_validated, labels
from nlu.retrieval.index import Analyzer, ArticleIndex
from nlu.retrieval.passages import ArticleLike
from nlu.retrieval.question import question_text
from nlu.retrieval.questions import Question
from nlu.retrieval.route import ParseLike, route

__all__ = ["ArticleEvaluation", "Miss", "evaluate_articles", "format_text"]

CURVE = tuple(t for t in THRESHOLDS if round(t * 100) % 5 == 0)


@dataclass(frozen=True)
class Miss:
    question: str
    expected: tuple[str, ...]  # article titles ("none" when no article answers)
    offered: str  # the best article's title
    confidence: float
    answered: bool


@dataclass(frozen=True)
class ArticleEvaluation:
    ranker: str
    protocol: str  # "held-out" | "cross-validated tuning set"
    n: int
    n_answerable: int
    threshold: float
    precision: float
    coverage: float
    answer_rate: float
    null_answered: int
    n_null: int
    top1: float  # best article right, answerable questions, threshold ignored
    curve: tuple[dict[str, float], ...]
    misses: tuple[Miss, ...]
    model: dict[str, object]
    routed: dict[str, float] | None = None  # with the intent model's routing (see module)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_articles(articles: Sequence[ArticleLike], tuning: Sequence[Question],
                      heldout: Sequence[Question] | None = None, *, ranker: str = "bm25",
                      analyzer: Analyzer | None = None,
                      parses: Sequence[ParseLike] | None = None) -> ArticleEvaluation:  # fmt: skip
    """Score one ranker with the help-center answer model (see module docstring)."""
    index = ArticleIndex(ranker=ranker, analyzer=analyzer or Analyzer()).build(articles)
    model, cv = fit_answer_model(index, tuning)
    if heldout is not None:
        questions, protocol = list(heldout), "held-out"
        X, correct = labels(index, questions)
        proba = model.predict_proba(X) if len(questions) else np.zeros(0)
    else:
        questions, protocol = list(tuning), "cross-validated tuning set"
        proba, correct = np.asarray(cv["proba"]), np.asarray(cv["correct"])
    answerable = np.array([q.answerable for q in questions], dtype=bool)
    best = [index.search(question_text(q.text, q.channel)).best for q in questions]
    titles = {a.id: a.title for a in index.articles()}
    curve = tuple(_point(t, proba, correct, answerable) for t in CURVE)
    here = _point(model.threshold, proba, correct, answerable)
    answered = proba >= model.threshold
    misses = tuple(
        Miss(q.text, tuple(titles.get(a, a) for a in sorted(q.articles)) or ("none",),
             b.article.title if b else "", round(float(p), 3), bool(ans))
        for q, b, p, ok, ans in zip(questions, best, proba, correct, answered, strict=True)
        if (ans and not ok) or (q.answerable and not ok)
    )  # fmt: skip
    return ArticleEvaluation(
        ranker=ranker,
        protocol=protocol,
        n=len(questions),
        n_answerable=int(answerable.sum()),
        threshold=model.threshold,
        precision=here["precision"],
        coverage=here["coverage"],
        answer_rate=here["answer_rate"],
        null_answered=int((answered & ~answerable).sum()),
        n_null=int((~answerable).sum()),
        top1=float(correct[answerable].mean()) if answerable.any() else 0.0,
        curve=curve,
        misses=tuple(sorted(misses, key=lambda m: (not m.answered, -m.confidence))),
        model=model.to_dict(),
        routed=_routed(parses, proba, correct, answerable, model.threshold) if parses else None,
    )


@dataclass(frozen=True)
class _Offer:
    confidence: float
    threshold: float


def _routed(parses: Sequence[ParseLike], proba: np.ndarray, correct: np.ndarray,
            answerable: np.ndarray, threshold: float) -> dict[str, float]:  # fmt: skip
    """Precision and coverage of the article answers ``route`` lets through."""
    chosen = np.array(
        [route(p, _Offer(float(c), threshold)).to == "article" for p, c in zip(parses, proba, strict=True)]
    )  # fmt: skip
    right = chosen & (correct == 1)
    return {
        "answered": int(chosen.sum()),
        "precision": float(right.sum() / chosen.sum()) if chosen.any() else 1.0,
        "coverage": float(right.sum() / answerable.sum()) if answerable.any() else 0.0,
        "null_answered": int((chosen & ~answerable).sum()),
    }


def coverage_at_target(articles: Sequence[ArticleLike], tuning: Sequence[Question], *,
                       ranker: str, analyzer: Analyzer, seeds: Sequence[int] = (0, 1, 2, 3, 4)
                       ) -> tuple[float, float]:  # fmt: skip
    """Mean (coverage, precision) at the chosen threshold over several cross-validation
    splits of the tuning set: the ranker comparison when there is no held-out set."""
    index = ArticleIndex(ranker=ranker, analyzer=analyzer).build(articles)
    X, y = labels(index, tuning)
    answerable = np.array([q.answerable for q in tuning], dtype=bool)
    points = []
    for seed in seeds:
        proba = cross_validated(X, y, seed=seed)
        points.append(_point(choose_threshold(proba, y), proba, y, answerable))
    return (float(np.mean([p["coverage"] for p in points])),
            float(np.mean([p["precision"] for p in points])))  # fmt: skip


def _point(t: float, proba: np.ndarray, correct: np.ndarray, answerable: np.ndarray
           ) -> dict[str, float]:  # fmt: skip
    answered = proba >= t
    right = answered & (correct == 1)
    return {
        "threshold": round(float(t), 2),
        "precision": float(right.sum() / answered.sum()) if answered.any() else 1.0,
        "coverage": float(right.sum() / answerable.sum()) if answerable.any() else 0.0,
        "answer_rate": float(answered.mean()) if len(answered) else 0.0,
    }


def format_text(ev: ArticleEvaluation, others: Sequence[ArticleEvaluation] = ()) -> str:
    """The figures, the curve and the worst misses, for the terminal."""
    lines = [
        f"Help-center answers ({ev.protocol}, ranker {ev.ranker}): {ev.n} questions, "
        f"{ev.n_answerable} with an answering article, {ev.n_null} without",
        f"threshold {ev.threshold:.2f}   precision {ev.precision:.1%}   coverage {ev.coverage:.1%}"
        f"   answered {ev.answer_rate:.1%}   'none' questions answered {ev.null_answered}/{ev.n_null}"
        f"   best article right (no threshold) {ev.top1:.1%}",
    ]
    if ev.routed is not None:
        r = ev.routed
        lines.append(
            f"with the intent model's routing (what the server answers): {r['answered']:.0f} "
            f"answered, precision {r['precision']:.1%}, coverage {r['coverage']:.1%}, "
            f"'none' questions answered {r['null_answered']:.0f}/{ev.n_null}"
        )
    for other in others:
        lines.append(
            f"  ranker {other.ranker}: threshold {other.threshold:.2f}, precision "
            f"{other.precision:.1%}, coverage {other.coverage:.1%}, best article right {other.top1:.1%}"
        )
    lines += ["", "threshold  precision  coverage  answered"]
    for p in ev.curve:
        mark = (
            "  <- threshold" if abs(p["threshold"] - round(ev.threshold * 20) / 20) < 1e-9 else ""
        )
        lines.append(f"  {p['threshold']:.2f}      {p['precision']:6.1%}    {p['coverage']:6.1%}"
                     f"    {p['answer_rate']:6.1%}{mark}")  # fmt: skip
    wrong = [m for m in ev.misses if m.answered][:15]
    if wrong:
        lines += ["", "Wrong answers (highest confidence first):"]
        lines += [f"  {m.confidence:.2f}  {m.question[:70]!r} -> {m.offered!r} (expected "
                  f"{' / '.join(m.expected)})" for m in wrong]  # fmt: skip
    return "\n".join(lines)
