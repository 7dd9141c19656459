"""Offline training: tune on the training data, pick the operating point, save a version.

Everything here sees the training split only. Hyper-parameters are chosen by
stratified cross-validation; the threshold and margin by the same
cross-validated probabilities, maximising accuracy with escalation counted as
out-of-scope. The held-out split is only ever scored, after the fact.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from nlu.catalogue import INTENTS, OUT_OF_SCOPE
from nlu.classifier import IntentClassifier
from nlu.cleaning import clean
from nlu.dataset import Example, data_hash
from nlu.decision import DEFAULT_MARGIN, DEFAULT_THRESHOLD, choose_operating_point
from nlu.errors import DataError

__all__ = ["DEFAULT_GRID", "MARGINS", "Trained", "fit", "save_trained"]

Progress = Callable[[str], None]

DEFAULT_PARAMS: dict[str, Any] = {"C": 20.0, "model": "lr"}
DEFAULT_GRID: dict[str, Sequence[Any]] = {"C": (10.0, 50.0)}  # 5 vs 20 vs 50: within 0.7 %
MARGINS = (0.0, 0.02, 0.05, 0.1)
# Give up this much cross-validated accuracy for a more cautious operating point.
TOLERANCE = 0.005


@dataclass(frozen=True)
class Trained:
    """A fitted model with its operating point and how it was chosen."""

    model: IntentClassifier
    threshold: float
    margin: float
    params: dict[str, Any]
    cv_metrics: dict[str, float]
    data_hash: str
    n_examples: int
    train_seconds: float


def _quiet(message: str) -> None:
    pass


def fit(
    examples: Sequence[Example],
    *,
    params: dict[str, Any] | None = None,
    grid: dict[str, Sequence[Any]] | None = None,
    folds: int = 5,
    progress: Progress = _quiet,
) -> Trained:
    """Train an IntentClassifier on ``examples``, tuning ``grid`` by cross-validation.

    Intents outside the catalogue (other than ``out_of_scope``) are kept: a
    shop may add its own, and :data:`~nlu.catalogue.INTENTS` is only the default.

    Raises:
        DataError: fewer than two classes, or too few examples to cross-validate.
    """
    from sklearn.model_selection import ParameterGrid, StratifiedKFold, cross_val_predict

    started = time.perf_counter()
    texts = [clean(e.text, e.channel) for e in examples]
    labels = np.asarray([e.intent for e in examples])
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise DataError("training data needs at least two intents")
    base = {**DEFAULT_PARAMS, **(params or {})}
    k = int(min(folds, counts.min()))
    progress(f"{len(texts)} examples, {len(classes)} classes; smallest class {counts.min()}")
    cv_metrics: dict[str, float] = {}
    threshold, margin = DEFAULT_THRESHOLD, DEFAULT_MARGIN
    if k >= 2:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=0)
        candidates = [{**base, **c} for c in ParameterGrid(dict(grid or {}))]
        # One set of out-of-fold probabilities per candidate serves both the choice
        # of hyper-parameters and of the operating point: no second CV pass.
        best: tuple[float, float, dict[str, Any], float, float] | None = None
        for candidate in candidates:
            progress(f"{k}-fold cross-validation of {_short(candidate, base, grid)}")
            proba = cross_val_predict(
                IntentClassifier(**candidate), texts, labels, cv=splitter, method="predict_proba"
            )
            raw_accuracy = float(np.mean(classes[proba.argmax(axis=1)] == labels))
            if OUT_OF_SCOPE in classes:
                t, m, accuracy = choose_operating_point(
                    proba, classes, labels, margins=MARGINS, tolerance=TOLERANCE
                )
            else:  # nothing tells us what out-of-scope looks like: keep the defaults
                t, m, accuracy = threshold, margin, raw_accuracy
            progress(
                f"  accuracy {raw_accuracy:.3f}; at threshold {t:.2f}/margin {m:.2f}: {accuracy:.3f}"
            )
            if best is None or accuracy > best[0] + 1e-9:
                best = (accuracy, raw_accuracy, candidate, t, m)
        assert best is not None
        accuracy, raw_accuracy, base, threshold, margin = best
        cv_metrics = {"cv_accuracy": raw_accuracy, "cv_operating_accuracy": accuracy}
        progress(
            f"chose {_short(base, base, grid)}, threshold {threshold:.2f}, margin {margin:.2f}"
        )
    else:
        progress("too few examples per class to cross-validate: default operating point")
    progress("fitting the final model on all training data")
    model = IntentClassifier(**base).fit(texts, labels)
    return Trained(
        model=model,
        threshold=threshold,
        margin=margin,
        params=base,
        cv_metrics=cv_metrics,
        data_hash=data_hash(examples),
        n_examples=len(examples),
        train_seconds=round(time.perf_counter() - started, 2),
    )


def save_trained(
    trained: Trained,
    model_dir: Path,
    *,
    metrics: dict[str, Any] | None = None,
    make_current: bool = True,
) -> Path:
    """Write ``trained`` as a new version in ``model_dir``; return the version directory."""
    from nlu import registry

    now = datetime.now(UTC)
    version = registry.new_version_id(trained.data_hash, now)
    classes = tuple(str(c) for c in trained.model.classes_)
    meta = registry.ModelMeta(
        version=version,
        created_at=now.isoformat(timespec="seconds"),
        classes=classes,
        intents=tuple(c for c in classes if c != OUT_OF_SCOPE),
        threshold=trained.threshold,
        margin=trained.margin,
        data_hash=trained.data_hash,
        n_examples=trained.n_examples,
        libraries=registry.library_versions(),
        params={k: _jsonable(v) for k, v in trained.params.items()},
        metrics={
            **trained.cv_metrics,
            "train_seconds": trained.train_seconds,
            "catalogue_missing": [i for i in INTENTS if i not in classes],
            **(metrics or {}),
        },
    )
    return registry.save(trained.model, meta, model_dir, make_current=make_current)


def _short(candidate: dict[str, Any], base: dict[str, Any], grid: Any) -> str:
    keys = list(grid or base)
    return ", ".join(f"{key}={candidate[key]}" for key in keys if key in candidate)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    return value
