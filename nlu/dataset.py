"""Training and evaluation examples: the project's YAML files or JSON Lines.

The project format is one file per intent, ``<dir>/<intent>.yml``::

    intent: track_order
    examples:
      - where is my order?
      - |
        Hi, my parcel hasn't arrived yet.
        Thanks, Ann

An example with a line break is an e-mail, anything else a chat message; the
channel decides how it is cleaned. ``out_of_scope.yml`` holds messages the
shop does not handle. JSON Lines (``{"text": ..., "intent": ...}`` a line) is
accepted for outside data sets.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.errors import DataError

__all__ = [
    "DEFAULT_HELDOUT_ASKS_DIR",
    "DEFAULT_HELDOUT_DIR",
    "DEFAULT_TRAIN_DIR",
    "Example",
    "data_hash",
    "load_examples",
    "load_jsonl",
    "load_yaml_dir",
    "stratified_split",
]

DEFAULT_TRAIN_DIR = Path(__file__).resolve().parent / "data" / "train"
DEFAULT_HELDOUT_DIR = Path(__file__).resolve().parent / "data" / "heldout"
# Asks, paraphrases and replies by another hand (nlu.ask_evaluation); scored, never tuned on.
DEFAULT_HELDOUT_ASKS_DIR = Path(__file__).resolve().parent / "data" / "heldout_asks"


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message; ``channel`` is "chat" or "email"."""

    text: str
    intent: str
    channel: str = "chat"


def _channel(text: str) -> str:
    return "email" if "\n" in text.strip() else "chat"


def load_examples(path: Path) -> list[Example]:
    """Examples from a directory of YAML files or a ``.jsonl`` file.

    Raises:
        DataError: the path is missing, empty, or holds a malformed file.
    """
    path = Path(path)
    if path.is_dir():
        return load_yaml_dir(path)
    if path.is_file():
        return load_jsonl(path)
    raise DataError(f"no training data at {path}")


def load_yaml_dir(directory: Path) -> list[Example]:
    """Examples from every ``*.yml``/``*.yaml`` file of ``directory``, sorted by file name."""
    files = sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")])
    if not files:
        raise DataError(f"no *.yml files in {directory}")
    examples: list[Example] = []
    for file in files:
        try:
            doc = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise DataError(f"{file}: cannot read: {exc}") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("intent"), str):
            raise DataError(f"{file}: expected a mapping with 'intent: <name>'")
        items = doc.get("examples")
        if not isinstance(items, list):
            raise DataError(f"{file}: expected 'examples:' to be a list of strings")
        for n, item in enumerate(items, 1):
            if not isinstance(item, str):
                raise DataError(f"{file}: example {n} is not a string")
            if item.strip():
                examples.append(Example(item, doc["intent"], _channel(item)))
    return examples


def load_jsonl(file: Path) -> list[Example]:
    """Examples from a JSON Lines file of ``{"text", "intent"}`` objects (``channel`` optional)."""
    examples: list[Example] = []
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{file}: cannot read: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{file}:{n}: not JSON: {exc.msg}") from exc
        if not (
            isinstance(obj, dict)
            and isinstance(obj.get("text"), str)
            and isinstance(obj.get("intent"), str)
        ):
            raise DataError(f'{file}:{n}: expected {{"text": str, "intent": str}}')
        channel = obj.get("channel") or _channel(obj["text"])
        if channel not in ("chat", "email"):
            raise DataError(f"{file}:{n}: channel must be 'chat' or 'email'")
        if obj["text"].strip():
            examples.append(Example(obj["text"], obj["intent"], channel))
    if not examples:
        raise DataError(f"{file}: no examples")
    return examples


def data_hash(examples: Iterable[Example]) -> str:
    """A SHA-256 over the examples, order-independent: the model's data fingerprint."""
    digest = hashlib.sha256()
    for line in sorted(json.dumps([e.intent, e.channel, e.text]) for e in examples):
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def stratified_split(
    examples: Sequence[Example], test_size: float = 0.2, seed: int = 0
) -> tuple[list[Example], list[Example]]:
    """Split keeping each intent's share; intents with one example stay in training."""
    import random

    by_intent: dict[str, list[Example]] = {}
    for e in examples:
        by_intent.setdefault(e.intent, []).append(e)
    rng = random.Random(seed)
    train: list[Example] = []
    test: list[Example] = []
    for intent in sorted(by_intent):
        group = list(by_intent[intent])
        rng.shuffle(group)
        k = round(len(group) * test_size) if len(group) > 1 else 0
        k = min(k, len(group) - 1)
        test.extend(group[:k])
        train.extend(group[k:])
    return train, test
