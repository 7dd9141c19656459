"""Scoring the reading of asks and acts: backstories, two asks, paraphrases, replies.

The data is a directory in the format of ``nlu/data/heldout_asks`` (written by
another hand, only ever scored) or ``nlu/data/dev_asks`` (ours, for
development). Each ``*.yml`` holds ``examples:``; an item's keys say what it
tests:

* ``{text, intent, channel?}``: the main intent (``Parse.intent``), escalation
  counted as out of scope, as in :func:`nlu.evaluation.evaluate`, and how many
  of these one-intent messages came out with more than one ask;
* ``{text, asks: [intent, ...], channel?}``: the asks in order. Greetings,
  thanks and goodbyes are ``Parse.signals`` here, not asks: they are compared
  with the signals and left out of the order;
* ``{text, act, expecting, bot?}``: the dialogue act, parsed with ``expecting``
  ("any", the wait for a person, is our "agent"). The other hand's
  ``thanks_bye`` is our ``thanks`` or ``goodbye``.

It also times the engine on these messages: one ``parse`` at a time (p50,
p99) and ``parse_many`` over all of them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from nlu.asks import SOCIAL
from nlu.catalogue import OUT_OF_SCOPE
from nlu.engine import NLU
from nlu.errors import DataError

__all__ = ["AskEvaluation", "evaluate_asks", "format_asks", "load_ask_data"]

# The other hand's names for our acts (nlu/data/heldout_asks/README.md).
_ACT_ALIASES = {"thanks": "thanks_bye", "goodbye": "thanks_bye"}
_EXPECTING_ALIASES = {"any": "agent", "none": None, "": None}


@dataclass(frozen=True)
class Item:
    """One evaluation item; ``kind`` is "intent", "asks" or "act"."""

    file: str
    kind: str
    text: str
    channel: str
    intent: str = ""
    asks: tuple[str, ...] = ()
    act: str = ""
    expecting: str | None = None


@dataclass
class AskEvaluation:
    """Figures per file, the misses, and the engine's speed on these messages."""

    model_version: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    misses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    latency: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_ask_data(directory: Path) -> list[Item]:
    """Every item of every ``*.yml`` in ``directory``.

    Raises:
        DataError: no files, or an item that is none of the three kinds.
    """
    directory = Path(directory)
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise DataError(f"no *.yml files in {directory}")
    items = []
    for file in files:
        try:
            doc = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise DataError(f"{file}: cannot read: {exc}") from exc
        raw = doc.get("examples") if isinstance(doc, dict) else None
        if not isinstance(raw, list):
            raise DataError(f"{file}: expected 'examples:' with a list of items")
        for n, entry in enumerate(raw, 1):
            items.append(_item(file, n, entry))
    return items


def _item(file: Path, n: int, entry: Any) -> Item:
    where = f"{file}: item {n}"
    if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
        raise DataError(f"{where}: expected a mapping with 'text'")
    text = entry["text"]
    channel = entry.get("channel") or ("email" if "\n" in text.strip() else "chat")
    if channel not in ("chat", "email"):
        raise DataError(f"{where}: channel must be chat or email")
    if "act" in entry:
        expecting = str(entry.get("expecting") or "")
        return Item(
            file.stem,
            "act",
            text,
            channel,
            act=str(entry["act"]),
            expecting=_EXPECTING_ALIASES.get(expecting, expecting),
        )
    if isinstance(entry.get("asks"), list):
        return Item(file.stem, "asks", text, channel, asks=tuple(map(str, entry["asks"])))
    if isinstance(entry.get("intent"), str):
        return Item(file.stem, "intent", text, channel, intent=entry["intent"])
    raise DataError(f"{where}: needs 'intent', 'asks' or 'act'")


def evaluate_asks(nlu: NLU, items: Sequence[Item]) -> AskEvaluation:
    """Parse every item as the server would and score it (see the module docstring)."""
    result = AskEvaluation(nlu.version)
    parses = nlu.parse_many(
        [i.text for i in items], [i.channel for i in items], [_expecting(i) for i in items]
    )
    by_file: dict[str, list[tuple[Item, Any]]] = {}
    for item, parse in zip(items, parses, strict=True):
        by_file.setdefault(item.file, []).append((item, parse))
    for name, pairs in by_file.items():
        kinds = {item.kind for item, _ in pairs}
        figures: dict[str, Any] = {"n": len(pairs)}
        misses: list[dict[str, Any]] = []
        for kind in sorted(kinds):
            group = [(i, p) for i, p in pairs if i.kind == kind]
            scorer = {"intent": _score_intents, "asks": _score_asks, "act": _score_acts}[kind]
            figures.update(scorer(group, misses))
        result.files[name] = figures
        result.misses[name] = misses
    result.latency = _latency(nlu, items)
    return result


def _expecting(item: Item) -> str | None:
    if item.kind != "act":
        return None
    return item.expecting or "agent"


def _score_intents(pairs: list[tuple[Item, Any]], misses: list[dict[str, Any]]) -> dict[str, Any]:
    truth = np.asarray([i.intent for i, _ in pairs])
    outcome = np.asarray([OUT_OF_SCOPE if p.escalate else p.intent for _, p in pairs])
    best = np.asarray([p.intent for _, p in pairs])
    oos = truth == OUT_OF_SCOPE
    for (item, parse), got in zip(pairs, outcome, strict=True):
        if got != item.intent:
            misses.append(_miss(item, parse, expected=item.intent, got=str(got)))
    several = np.asarray([len(p.asks) > 1 for _, p in pairs])
    figures = {
        "accuracy": _mean(outcome == truth),
        "intent_accuracy": _mean(best[~oos] == truth[~oos]),
        "in_scope_escalated": _mean(outcome[~oos] == OUT_OF_SCOPE),
        # One-intent messages read as asking more than one thing.
        "more_than_one_ask": _mean(several[~oos]),
    }
    if oos.any():
        figures["oos_recall"] = _mean(outcome[oos] == OUT_OF_SCOPE)
    return figures


def _score_asks(pairs: list[tuple[Item, Any]], misses: list[dict[str, Any]]) -> dict[str, Any]:
    exact = same_set = first = 0
    expected_total = found_total = right_total = 0
    social_expected = social_found = 0
    for item, parse in pairs:
        want = [a for a in item.asks if a not in SOCIAL]
        got = [a.intent for a in parse.asks] if not parse.escalate else []
        exact += got == want
        same_set += set(got) == set(want)
        first += bool(got and want and got[0] == want[0])
        expected_total += len(want)
        found_total += len(got)
        right_total += len(set(got) & set(want))
        wanted_social = {a for a in item.asks if a in SOCIAL}
        social_expected += len(wanted_social)
        social_found += len(wanted_social & set(parse.signals))
        if got != want:
            misses.append(_miss(item, parse, expected=" + ".join(want), got=" + ".join(got)))
    n = len(pairs)
    figures = {
        "asks_exact": round(exact / n, 4),
        "asks_same_set": round(same_set / n, 4),
        "first_ask": round(first / n, 4),
        "ask_recall": round(right_total / expected_total, 4) if expected_total else 0.0,
        "ask_precision": round(right_total / found_total, 4) if found_total else 0.0,
    }
    if social_expected:
        figures["social_signal_recall"] = round(social_found / social_expected, 4)
    return figures


def _score_acts(pairs: list[tuple[Item, Any]], misses: list[dict[str, Any]]) -> dict[str, Any]:
    right = 0
    per_act: dict[str, list[int]] = {}
    for item, parse in pairs:
        got = parse.act.act if parse.act is not None else "none"
        ok = got == item.act or _ACT_ALIASES.get(got) == item.act
        right += ok
        per_act.setdefault(item.act, [0, 0])
        per_act[item.act][0] += ok
        per_act[item.act][1] += 1
        if not ok:
            misses.append(_miss(item, parse, expected=item.act, got=got))
    return {
        "act_accuracy": round(right / len(pairs), 4),
        "act_recall": {a: round(r / t, 4) for a, (r, t) in sorted(per_act.items())},
    }


def _miss(item: Item, parse: Any, *, expected: str, got: str) -> dict[str, Any]:
    return {
        "text": item.text[:300],
        "expected": expected,
        "got": got,
        "intent": parse.intent,
        "confidence": parse.confidence,
        "reason": parse.reason,
    }


def _latency(nlu: NLU, items: Sequence[Item]) -> dict[str, float]:
    if not items:
        return {}
    timings = []
    for item in items:
        started = time.perf_counter()
        nlu.parse(item.text, item.channel, _expecting(item))
        timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    nlu.parse_many(
        [i.text for i in items], [i.channel for i in items], [_expecting(i) for i in items]
    )
    batched = time.perf_counter() - started
    ms = np.asarray(timings) * 1000
    return {
        "messages": len(items),
        "single_p50_ms": round(float(np.percentile(ms, 50)), 3),
        "single_p99_ms": round(float(np.percentile(ms, 99)), 3),
        "batched_per_message_ms": round(batched * 1000 / len(items), 3),
    }


def _mean(values: np.ndarray) -> float:
    return round(float(np.mean(values)), 4) if values.size else 0.0


def format_asks(ev: AskEvaluation, misses: int = 0) -> str:
    """A plain-text summary: one block per file, then timing (and ``misses`` per file)."""
    lines = [f"asks and acts, model {ev.model_version}"]
    for name, figures in ev.files.items():
        parts = []
        for key, value in figures.items():
            if key == "n":
                continue
            if isinstance(value, dict):
                inner = ", ".join(f"{k} {v:.0%}" for k, v in value.items())
                parts.append(f"{key}: {inner}")
            else:
                parts.append(f"{key} {value:.1%}")
        lines.append(f"  {name} ({figures['n']}): " + "; ".join(parts))
        for miss in ev.misses.get(name, [])[:misses]:
            text = " ".join(miss["text"].split())[:140]
            lines.append(f"      want {miss['expected']}, got {miss['got']}: {text}")
    if ev.latency:
        lat = ev.latency
        lines.append(
            f"  speed over {lat['messages']:.0f} messages: parse p50 {lat['single_p50_ms']:.2f} ms, "
            f"p99 {lat['single_p99_ms']:.2f} ms; parse_many {lat['batched_per_message_ms']:.3f} "
            "ms a message"
        )
    return "\n".join(lines)
