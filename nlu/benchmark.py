"""The CLINC150 engine benchmark (Larson et al., 2019, "oos-threshold" protocol).

Train on the 15,000 in-scope training utterances; pick the threshold on
val + oos_val maximising accuracy over 151 classes (out-of-scope being one);
report in-scope accuracy on test and out-of-scope recall on oos_test. Speed is
measured through the whole engine (cleaning, spaCy, model, entities), not the
bare estimator: single-message p99 latency and batched throughput.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nlu.catalogue import OUT_OF_SCOPE
from nlu.classifier import IntentClassifier
from nlu.cleaning import clean
from nlu.decision import choose_operating_point
from nlu.engine import NLU
from nlu.errors import DataError

__all__ = ["CLINC_PARAMS", "clinc150"]

# Chosen on CLINC150 val (never test); see docs/benchmarks.md.
CLINC_PARAMS: dict[str, Any] = {"C": 20.0, "model": "lr", "class_weight": None}
_SPLITS = ("train", "val", "test", "oos_val", "oos_test")


def _load(path: Path) -> dict[str, list[tuple[str, str]]]:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return {s: [(str(t), str(i)) for t, i in raw[s]] for s in _SPLITS}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: not a CLINC150 data_full.json ({exc})") from exc


def clinc150(
    path: Path,
    *,
    params: dict[str, Any] | None = None,
    latency_samples: int = 1000,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Run the benchmark; return the figures (see the keys of the returned dict)."""
    data = _load(path)
    params = {**CLINC_PARAMS, **(params or {})}
    texts, labels = zip(*data["train"], strict=True)

    progress(f"training on {len(texts)} in-scope utterances with {params}")
    started = time.perf_counter()
    cleaned = [clean(t) for t in texts]
    model = IntentClassifier(**params).fit(cleaned, list(labels))
    train_seconds = time.perf_counter() - started

    progress("choosing the threshold on val + oos_val")
    val = data["val"] + [(t, OUT_OF_SCOPE) for t, _ in data["oos_val"]]
    proba = model.predict_proba([clean(t) for t, _ in val])
    threshold, _, val_accuracy = choose_operating_point(
        proba,
        [str(c) for c in model.classes_],
        [i for _, i in val],
        thresholds=tuple(np.round(np.arange(0.0, 1.0, 0.005), 3)),
    )
    nlu = NLU(model, version="clinc150", threshold=threshold, margin=0.0)

    progress("scoring test and oos_test")
    test = nlu.parse_many([t for t, _ in data["test"]])
    in_scope = np.mean(
        [(not p.escalate) and p.intent == i for p, (_, i) in zip(test, data["test"], strict=True)]
    )
    oos = nlu.parse_many([t for t, _ in data["oos_test"]])
    oos_recall = np.mean([p.escalate for p in oos])

    progress(f"timing {latency_samples} single-message parses")
    sample = [t for t, _ in data["test"]][:latency_samples]
    nlu.parse(sample[0])  # warm up
    timings, cpu = [], []
    for text in sample:
        t0, c0 = time.perf_counter(), time.thread_time()
        nlu.parse(text)
        timings.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)

    progress("timing batched parsing")
    batch = [t for t, _ in data["test"]] + [t for t, _ in data["oos_test"]]
    t0 = time.perf_counter()
    nlu.parse_many(batch)
    batch_seconds = time.perf_counter() - t0

    return {
        "in_scope_accuracy": round(float(in_scope), 4),
        "oos_recall": round(float(oos_recall), 4),
        "train_seconds": round(train_seconds, 2),
        "latency_p99_ms": round(float(np.percentile(timings, 99)) * 1000, 3),
        "throughput_per_s": round(len(batch) / batch_seconds, 1),
        "latency_p50_ms": round(float(np.percentile(timings, 50)) * 1000, 3),
        # CPU time of the parsing thread: the engine's own cost, whatever else the box runs.
        "latency_p99_cpu_ms": round(float(np.percentile(cpu, 99)) * 1000, 3),
        "threshold": threshold,
        "val_accuracy": round(val_accuracy, 4),
        "params": params,
    }
