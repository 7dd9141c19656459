"""How sure the bot is that the best article answers the question: a probability from
the retrieval's own evidence, and the threshold above which it answers.

Features, each scale-free so a model fitted on one help center carries to another:

- ``top``: the best article's BM25 score per unit of the question's IDF mass;
- ``margin``: how far ahead of the second article it is, as a share of its score;
- ``coverage``: the IDF-weighted share of the question's words the article holds
  (a question about "dogs" at the showroom matches the showroom article, not "dog");
- ``passage_coverage``: the same for the passage that would be shown;
- ``title``: the IDF-weighted share of the question's words in the article's title;
- ``unknown``: the share of the question's words no article has at all;
- ``length``: how many content words the question has (log);
- ``order``: the message names an order, a tracking number or an e-mail address: it is
  about the customer's own order, which an article cannot know.

A logistic regression over them is fitted on tuning questions (label: the best article
is one that answers); the threshold is the lowest at which cross-validated precision
stays at or above the target (90 %) for every threshold above it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from nlu.entities import extract
from nlu.retrieval.index import ArticleIndex, Retrieval
from nlu.retrieval.question import question_text
from nlu.retrieval.questions import Question

__all__ = [
    "FEATURES",
    "TARGET_PRECISION",
    "AnswerModel",
    "choose_threshold",
    "cross_validated",
    "features",
]

FEATURES = (
    "top",
    "margin",
    "coverage",
    "passage_coverage",
    "title",
    "unknown",
    "length",
    "order",
)
TARGET_PRECISION = 0.90
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.0, 1.0001, 0.01))


def features(retrieval: Retrieval) -> np.ndarray:
    """The feature vector of one retrieval (zeros when nothing was found)."""
    tokens, idf = retrieval.tokens, retrieval.idf
    mass = sum(idf.values()) or 1.0
    order = float(bool(extract(retrieval.question)))
    best = retrieval.best
    if best is None:
        return np.array([0.0, 0.0, 0.0, 0.0, 0.0, _unknown(retrieval), _length(tokens), order])
    second = retrieval.hits[1].score if len(retrieval.hits) > 1 else 0.0
    aid = best.article.id

    def share(held: frozenset[str]) -> float:
        return sum(idf[t] for t in tokens if t in held) / mass

    return np.array(
        [
            best.score / mass,
            (best.score - second) / best.score if best.score > 0 else 0.0,
            share(retrieval.article_tokens[aid]),
            share(retrieval.passage_tokens[aid]),
            share(retrieval.title_tokens[aid]),
            _unknown(retrieval),
            _length(tokens),
            order,
        ]
    )


def _unknown(retrieval: Retrieval) -> float:
    if not retrieval.tokens:
        return 1.0
    top = max(retrieval.idf.values())
    return sum(1 for t in retrieval.tokens if retrieval.idf[t] >= top) / len(retrieval.tokens)


def _length(tokens: Sequence[str]) -> float:
    return math.log1p(len(tokens))


def labels(index: ArticleIndex, questions: Sequence[Question]) -> tuple[np.ndarray, np.ndarray]:
    """Features of each question's retrieval, and whether its best article is right."""
    X, y = [], []
    for q in questions:
        r = index.search(question_text(q.text, q.channel))
        X.append(features(r))
        y.append(int(r.best is not None and r.best.article.id in q.articles))
    return np.vstack(X) if X else np.zeros((0, len(FEATURES))), np.asarray(y)


@dataclass
class AnswerModel:
    """Logistic regression over :data:`FEATURES` with its answering threshold."""

    threshold: float = 0.5
    C: float = 1.0
    mean_: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))
    scale_: np.ndarray = field(default_factory=lambda: np.ones(len(FEATURES)))
    coef_: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))
    intercept_: float = 0.0

    def fit(self, X: np.ndarray, y: np.ndarray) -> AnswerModel:
        from sklearn.linear_model import LogisticRegression

        self.mean_ = X.mean(axis=0)
        self.scale_ = np.where(X.std(axis=0) > 1e-9, X.std(axis=0), 1.0)
        model = LogisticRegression(C=self.C, max_iter=1000)
        model.fit((X - self.mean_) / self.scale_, y)
        self.coef_ = model.coef_[0]
        self.intercept_ = float(model.intercept_[0])
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = ((X - self.mean_) / self.scale_) @ self.coef_ + self.intercept_
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def confidence(self, retrieval: Retrieval) -> float:
        if retrieval.best is None:
            return 0.0
        return float(self.predict_proba(features(retrieval)[None, :])[0])

    def to_dict(self) -> dict[str, object]:
        return {
            "threshold": self.threshold,
            "features": list(FEATURES),
            "coef": [round(float(c), 4) for c in self.coef_],
            "intercept": round(self.intercept_, 4),
        }


def cross_validated(X: np.ndarray, y: np.ndarray, *, folds: int = 5, seed: int = 0,
                    C: float = 1.0) -> np.ndarray:  # fmt: skip
    """Out-of-fold probabilities: each question scored by a model that never saw it."""
    from sklearn.model_selection import StratifiedKFold

    proba = np.zeros(len(y))
    if len(set(y.tolist())) < 2 or min(np.bincount(y)) < folds:
        return proba
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        proba[test] = AnswerModel(C=C).fit(X[train], y[train]).predict_proba(X[test])
    return proba


def choose_threshold(proba: np.ndarray, correct: np.ndarray, target: float = TARGET_PRECISION,
                     min_answered: int = 20) -> float:  # fmt: skip
    """The lowest threshold from which precision stays ≥ ``target`` at every threshold
    above it that still answers ``min_answered`` questions (fewer are too few to judge:
    one unlucky question among ten would move the threshold)."""
    ok_from = 1.0
    for t in reversed(THRESHOLDS):
        answered = proba >= t
        if answered.sum() < min(min_answered, len(proba)) or not answered.any():
            continue
        if correct[answered].mean() < target:
            break
        ok_from = t
    return float(ok_from)
