"""Offline training: tune on the training data, pick the operating point, save a version.

Everything here sees the training split only. Hyper-parameters are chosen by
stratified cross-validation; the threshold and margin by the same
cross-validated probabilities, maximising accuracy with escalation counted as
out-of-scope. The held-out split is only ever scored, after the fact.

Two models come out of one run: the intent model, trained on the examples plus
compositional "backstory + ask" examples built from them (:mod:`nlu.augment`,
inside each fold too, so no fold sees its own validation sentences), and the
dialogue-act model (:mod:`nlu.acts`), trained on ``nlu/data/acts``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from nlu.acts import ACTS, DEFAULT_ACTS_DIR, load_act_examples
from nlu.augment import compose
from nlu.catalogue import INTENTS, OUT_OF_SCOPE
from nlu.classifier import IntentClassifier
from nlu.cleaning import clean
from nlu.dataset import Example, data_hash
from nlu.decision import DEFAULT_MARGIN, DEFAULT_THRESHOLD, choose_operating_point
from nlu.errors import DataError
from nlu.lexicon import load_lexicon
from nlu.reader import Reader
from nlu.tokens import load_spacy

__all__ = ["ACT_PARAMS", "DEFAULT_GRID", "MARGINS", "Trained", "fit", "fit_acts", "save_trained"]

Progress = Callable[[str], None]

DEFAULT_PARAMS: dict[str, Any] = {"C": 20.0, "model": "lr", "ask_view": True}
# Compositional examples per intent (nlu.augment); 0 turns them off.
COMPOSE_PER_INTENT = 40
# Candidate weights of the ask units against the whole message (nlu.reader).
ASK_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0)
# The act model: short texts, few examples; words and characters, no lexicon.
ACT_PARAMS: dict[str, Any] = {"C": 10.0, "model": "lr"}
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
    acts: IntentClassifier | None = None
    acts_metrics: dict[str, Any] | None = None

    def to_nlu(self, version: str = "new") -> Any:
        """An :class:`~nlu.engine.NLU` over this model, as it will run once saved."""
        from nlu.engine import NLU

        return NLU(
            self.model,
            version=version,
            threshold=self.threshold,
            margin=self.margin,
            acts=self.acts,
            ask_weight=float(self.params.get("ask_weight", 0.0)),
        )


def _quiet(message: str) -> None:
    pass


def fit(
    examples: Sequence[Example],
    *,
    params: dict[str, Any] | None = None,
    grid: dict[str, Sequence[Any]] | None = None,
    folds: int = 5,
    compose_per_intent: int = COMPOSE_PER_INTENT,
    acts_dir: Path | None = DEFAULT_ACTS_DIR,
    progress: Progress = _quiet,
) -> Trained:
    """Train an IntentClassifier on ``examples``, tuning ``grid`` by cross-validation.

    Intents outside the catalogue (other than ``out_of_scope``) are kept: a
    shop may add its own, and :data:`~nlu.catalogue.INTENTS` is only the default.
    Unless ``params`` says otherwise the model reads with the project lexicon
    (``nlu/data/lexicon.yml``) and an ask view. ``acts_dir=None`` skips the
    dialogue-act model.

    Raises:
        DataError: fewer than two classes, or too few examples to cross-validate,
            or malformed lexicon or act files.
    """
    from sklearn.model_selection import ParameterGrid, StratifiedKFold

    started = time.perf_counter()
    examples = list(examples)
    texts = [clean(e.text, e.channel) for e in examples]
    labels = np.asarray([e.intent for e in examples])
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise DataError("training data needs at least two intents")
    base = {**DEFAULT_PARAMS, **(params or {})}
    if "lexicon" not in base:
        base["lexicon"] = load_lexicon().concepts
    nlp = load_spacy()

    def augmented(idx: np.ndarray) -> tuple[list[str], list[str]]:
        chosen = [examples[i] for i in idx]
        extra = compose(chosen, nlp, per_intent=compose_per_intent) if compose_per_intent else []
        return (
            [texts[i] for i in idx] + [clean(e.text, e.channel) for e in extra],
            [str(labels[i]) for i in idx] + [e.intent for e in extra],
        )

    k = int(min(folds, counts.min()))
    progress(f"{len(texts)} examples, {len(classes)} classes; smallest class {counts.min()}")
    cv_metrics: dict[str, float] = {}
    threshold, margin = DEFAULT_THRESHOLD, DEFAULT_MARGIN
    if k >= 2:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=0)
        splits = [
            (augmented(train), test)
            for train, test in splitter.split(np.zeros(len(labels)), labels)
        ]
        # Messages composed from each validation fold only: how the reader does on
        # "backstory + ask", with sentences its fold model never saw.
        probes = [
            compose([examples[i] for i in test], nlp, per_intent=max(4, compose_per_intent // 4))
            if compose_per_intent
            else []
            for _, test in splits
        ]
        candidates = [{**base, **c} for c in ParameterGrid(dict(grid or {}))]
        # One set of out-of-fold readings per candidate serves the choice of
        # hyper-parameters, of the ask weight and of the operating point.
        best: tuple[float, float, dict[str, Any], float, float, float, float, float] | None = None
        for candidate in candidates:
            progress(f"{k}-fold cross-validation of {_short(candidate, base, grid)}")
            reads: list[Any] = [None] * len(texts)
            probe_reads: list[tuple[Any, str]] = []
            for ((fold_texts, fold_labels), test), probe in zip(splits, probes, strict=True):
                model = IntentClassifier(**_estimator_params(candidate)).fit(
                    fold_texts, fold_labels
                )
                columns = np.searchsorted(classes, model.classes_)
                reader = Reader(model)
                for i, read in zip(test, reader.read([texts[i] for i in test]), strict=True):
                    reads[i] = (read, columns)
                probe_texts = [clean(e.text, e.channel) for e in probe]
                for e, read in zip(probe, reader.read(probe_texts), strict=True):
                    probe_reads.append(((read, columns), e.intent))
            baseline: float | None = None
            for weight in ASK_WEIGHTS:
                proba = _blended(reads, weight, len(classes))
                raw_accuracy = float(np.mean(classes[proba.argmax(axis=1)] == labels))
                probe_proba = _blended([r for r, _ in probe_reads], weight, len(classes))
                probe_truth = np.asarray([y for _, y in probe_reads])
                composed_accuracy = (
                    float(np.mean(classes[probe_proba.argmax(axis=1)] == probe_truth))
                    if len(probe_truth)
                    else 0.0
                )
                if OUT_OF_SCOPE in classes:
                    t, m, accuracy = choose_operating_point(
                        proba, classes, labels, margins=MARGINS, tolerance=TOLERANCE
                    )
                else:  # nothing tells us what out-of-scope looks like: keep the defaults
                    t, m, accuracy = threshold, margin, raw_accuracy
                progress(
                    f"  ask weight {weight:.2f}: accuracy {raw_accuracy:.3f}; at threshold "
                    f"{t:.2f}/margin {m:.2f}: {accuracy:.3f}; composed {composed_accuracy:.3f}"
                )
                # The messages as written come first: a weight may cost them at most
                # TOLERANCE; among the others, the best sum with the reading of
                # composed backstory + ask messages wins.
                baseline = accuracy if baseline is None else baseline
                if accuracy < baseline - TOLERANCE:
                    continue
                score = accuracy + composed_accuracy
                if best is None or score > best[0] + 1e-9:
                    best = (
                        score,
                        raw_accuracy,
                        candidate,
                        t,
                        m,
                        weight,
                        accuracy,
                        composed_accuracy,
                    )
        assert best is not None
        _, raw_accuracy, base, threshold, margin, ask_weight, accuracy, best_composed = best
        base = {**base, "ask_weight": ask_weight}
        cv_metrics = {
            "cv_accuracy": raw_accuracy,
            "cv_operating_accuracy": accuracy,
            "cv_composed_accuracy": best_composed,
        }
        progress(
            f"chose {_short(base, base, grid)}, ask weight {ask_weight:.2f}, "
            f"threshold {threshold:.2f}, margin {margin:.2f}"
        )
    else:
        progress("too few examples per class to cross-validate: default operating point")
    progress("fitting the final model on all training data")
    all_texts, all_labels = augmented(np.arange(len(examples)))
    model = IntentClassifier(**_estimator_params(base)).fit(all_texts, all_labels)
    composed = [
        Example(t, y)
        for t, y in zip(all_texts[len(examples) :], all_labels[len(examples) :], strict=True)
    ]
    acts, acts_metrics, act_examples = None, None, []
    if acts_dir is not None:
        act_examples = load_act_examples(acts_dir, examples)
        acts, acts_metrics = fit_acts(act_examples, folds=folds, progress=progress)
    return Trained(
        model=model,
        threshold=threshold,
        margin=margin,
        params=base,
        cv_metrics={**cv_metrics, "composed_examples": len(composed)},
        data_hash=data_hash([*examples, *composed, *act_examples]),
        n_examples=len(examples),
        train_seconds=round(time.perf_counter() - started, 2),
        acts=acts,
        acts_metrics=acts_metrics,
    )


def fit_acts(
    examples: Sequence[Example], *, folds: int = 5, progress: Progress = _quiet
) -> tuple[IntentClassifier, dict[str, Any]]:
    """Train the dialogue-act model (``Example.intent`` holds the act).

    Returns the model and its cross-validated accuracy (``acts_cv_accuracy``).

    Raises:
        DataError: fewer than two acts.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    texts = [e.text for e in examples]
    labels = np.asarray([e.intent for e in examples])
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise DataError("act data needs at least two acts")
    metrics: dict[str, Any] = {"acts_n_examples": len(texts)}
    k = int(min(folds, counts.min()))
    if k >= 2:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=0)
        predicted = cross_val_predict(IntentClassifier(**ACT_PARAMS), texts, labels, cv=splitter)
        metrics["acts_cv_accuracy"] = round(float(np.mean(predicted == labels)), 4)
        progress(
            f"act model: {len(texts)} examples, {k}-fold accuracy {metrics['acts_cv_accuracy']:.3f}"
        )
    missing = [a for a in ACTS if a not in classes]
    if missing:
        metrics["acts_missing"] = missing
    return IntentClassifier(**ACT_PARAMS).fit(texts, labels), metrics


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
        acts={"params": dict(ACT_PARAMS), "metrics": trained.acts_metrics or {}}
        if trained.acts is not None
        else {},
    )
    return registry.save(
        trained.model, meta, model_dir, make_current=make_current, acts=trained.acts
    )


def _estimator_params(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` without the reader's ``ask_weight`` (the engine's, not the estimator's)."""
    return {k: v for k, v in params.items() if k != "ask_weight"}


def _blended(reads: Sequence[Any], weight: float, n_classes: int) -> np.ndarray:
    """Rows of blended probabilities (nlu.reader) in the full class order."""
    proba = np.zeros((len(reads), n_classes))
    for row, (read, columns) in enumerate(reads):
        proba[row, columns] = read.blended(weight)
    return proba


def _short(candidate: dict[str, Any], base: dict[str, Any], grid: Any) -> str:
    keys = list(grid or base)
    return ", ".join(f"{key}={candidate[key]}" for key in keys if key in candidate)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    return value
