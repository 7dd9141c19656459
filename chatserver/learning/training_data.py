"""Agents' labels out of the prediction log and into the training set.

``export`` turns labelled predictions (masked text, the agent's intent) into training
examples written in the project's format (``nlu.dataset``: one ``<intent>.yml`` per
intent, or JSON Lines). ``merge`` adds such examples to ``nlu/data/train`` without
duplicates: an example whose normalised text is already in the training OR held-out
set is skipped, and nothing is ever added to the held-out set.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from chatserver.storage import Prediction
from nlu.dataset import Example, load_examples, load_yaml_dir

__all__ = [
    "MergeReport",
    "examples_of",
    "merge",
    "normalise",
    "write_jsonl",
    "write_yaml_dir",
]

_INTENT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def normalise(text: str) -> str:
    """The form two examples are compared in: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def examples_of(predictions: Iterable[Prediction]) -> list[Example]:
    """Training examples from labelled predictions (their text is already masked)."""
    out: list[Example] = []
    seen: set[tuple[str, str]] = set()
    for p in predictions:
        if not p.label or not p.text.strip():
            continue
        key = (normalise(p.text), p.label)
        if key not in seen:
            seen.add(key)
            out.append(Example(p.text, p.label, p.channel))
    return out


def _check_intent(intent: str) -> None:
    # The intent names a file: keep it to the catalogue's shape.
    if not _INTENT.match(intent):
        raise ValueError(f"not an intent name: {intent!r}")


def write_yaml_dir(examples: Sequence[Example], directory: Path) -> dict[str, int]:
    """One ``<intent>.yml`` per intent into ``directory``; examples written per intent."""
    directory.mkdir(parents=True, exist_ok=True)
    by_intent: dict[str, list[str]] = {}
    for e in examples:
        _check_intent(e.intent)
        by_intent.setdefault(e.intent, []).append(e.text)
    for intent, texts in sorted(by_intent.items()):
        doc = {"intent": intent, "examples": texts}
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
        (directory / f"{intent}.yml").write_text(text, encoding="utf-8")
    return {intent: len(texts) for intent, texts in sorted(by_intent.items())}


def write_jsonl(examples: Sequence[Example], file: Path) -> None:
    """``{"text", "intent", "channel"}`` a line."""
    file.parent.mkdir(parents=True, exist_ok=True)
    with file.open("w", encoding="utf-8") as out:
        for e in examples:
            line = {"text": e.text, "intent": e.intent, "channel": e.channel}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


@dataclass
class MergeReport:
    """What ``merge`` did: examples added per intent, and why others were skipped."""

    added: Counter[str] = field(default_factory=Counter)
    in_train: int = 0
    in_heldout: int = 0
    repeated: int = 0  # the same text twice in the source

    @property
    def skipped(self) -> int:
        return self.in_train + self.in_heldout + self.repeated

    def to_json(self) -> dict[str, object]:
        return {
            "added": sum(self.added.values()),
            "skipped": self.skipped,
            "skipped_in_train": self.in_train,
            "skipped_in_heldout": self.in_heldout,
            "skipped_repeated": self.repeated,
            "added_by_intent": dict(sorted(self.added.items())),
        }


def _texts(directory: Path) -> set[str]:
    if not directory.is_dir() or not any(directory.glob("*.y*ml")):
        return set()
    return {normalise(e.text) for e in load_yaml_dir(directory)}


def merge(source: Path, train_dir: Path, heldout_dir: Path | None) -> MergeReport:
    """Append the examples of ``source`` (YAML directory or JSON Lines) to ``train_dir``.

    Raises:
        nlu.errors.DataError: ``source`` or an existing data file cannot be read.
        ValueError: an intent name that cannot name a file.
    """
    incoming = load_examples(source)
    train = _texts(train_dir)
    heldout = _texts(heldout_dir) if heldout_dir is not None else set()
    report = MergeReport()
    new: dict[str, list[str]] = {}
    taken: set[str] = set()
    for e in incoming:
        _check_intent(e.intent)
        key = normalise(e.text)
        if key in heldout:
            report.in_heldout += 1
        elif key in train:
            report.in_train += 1
        elif key in taken:
            report.repeated += 1
        else:
            taken.add(key)
            new.setdefault(e.intent, []).append(e.text)
            report.added[e.intent] += 1
    train_dir.mkdir(parents=True, exist_ok=True)
    for intent, texts in sorted(new.items()):
        _append(train_dir / f"{intent}.yml", intent, texts)
    return report


def _append(file: Path, intent: str, texts: Sequence[str]) -> None:
    # Appending list items keeps the file's comments and order; the examples list is the
    # file's last key in the project format (checked by reading it back).
    items = yaml.safe_dump(texts, allow_unicode=True, width=100, default_flow_style=False)
    lines = "".join(f"  {line}\n" if line else "\n" for line in items.splitlines())
    if file.exists():
        current = file.read_text(encoding="utf-8")
        doc = yaml.safe_load(current) or {}
        if doc.get("intent") != intent or not isinstance(doc.get("examples"), list):
            raise ValueError(f"{file}: not the examples file of {intent}")
        if not current.endswith("\n"):
            current += "\n"
        updated = current + lines
    else:
        updated = f"intent: {intent}\nexamples:\n" + lines
    after = yaml.safe_load(updated)
    before = len(doc["examples"]) if file.exists() else 0
    if after.get("intent") != intent or len(after.get("examples") or []) != before + len(texts):
        raise ValueError(f"{file}: its examples list is not the last key; add them by hand")
    file.write_text(updated, encoding="utf-8")
