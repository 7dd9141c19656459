"""Dialogue acts: what a message does when the bot is waiting for an answer.

Asked "Shall I cancel your subscription?", "ok fine yes cancel it" is a yes,
not a new cancel request; asked for an order number, "I dont have an order
number" is an answer too. The act is learned from ``nlu/data/acts/<act>.yml``
by a second :class:`~nlu.classifier.IntentClassifier` (same estimator, other
labels), saved next to the intent model. It reads the text only: what the act
means in the script (which order was chosen, what the yes confirms) is the
dialogue's decision, with the ``expecting`` it passed.

Data files::

    act: dont_know
    from_intents:            # optional: a sample of an intent's training examples
      human_agent: 60
    examples:
      - I dont have an order number

E-mail addresses and numbers are masked (``xemailx``, ``xnumberx``) before
the act model sees them, at training and at run time: "its 1001" and "its 2417"
are the same answer.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.dataset import Example
from nlu.errors import DataError

__all__ = [
    "ACTS",
    "DEFAULT_ACTS_DIR",
    "EXPECTING",
    "Act",
    "load_act_examples",
    "mask",
]

ACTS: tuple[str, ...] = (
    "affirm",  # yes
    "deny",  # no
    "choose",  # picks an offered option
    "give_details",  # an order number, e-mail, address, name, date, size
    "dont_know",  # can't give it (often with another way)
    "ask_person",  # wants a human
    "new_request",  # a new request instead of an answer (a change of subject)
    "stop",  # drop what the bot was doing
    "thanks",
    "goodbye",
    "checking_in",  # "hello? is anyone there?" while waiting
)
# What the bot may be waiting for (NLU.parse(expecting=...)).
EXPECTING: tuple[str, ...] = ("yes_no", "choice", "email", "order_number", "address", "agent")
DEFAULT_ACTS_DIR = Path(__file__).resolve().parent / "data" / "acts"


@dataclass(frozen=True, slots=True)
class Act:
    """The dialogue act of a message, its probability, and the runner-up."""

    act: str
    confidence: float
    ranking: tuple[tuple[str, float], ...] = ()


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER = re.compile(r"(?<![\w])#?\d[\d ]{1,}\d\b|(?<![\w])#?\d{3,}\b")


def mask(text: str) -> str:
    """E-mail addresses and numbers of three digits or more as placeholders."""
    return _NUMBER.sub(" xnumberx ", _EMAIL.sub(" xemailx ", text))


def load_act_examples(
    directory: Path | None = None,
    intent_examples: Sequence[Example] = (),
    *,
    seed: int = 0,
) -> list[Example]:
    """The act examples of ``directory`` (``Example.intent`` holds the act), masked.

    ``from_intents`` samples come from ``intent_examples`` (chat messages only,
    deterministic for ``seed``).

    Raises:
        DataError: a file is malformed, names an unknown act, or no file is found.
    """
    directory = Path(directory) if directory else DEFAULT_ACTS_DIR
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise DataError(f"no *.yml act files in {directory}")
    by_intent: dict[str, list[str]] = {}
    for e in intent_examples:
        if e.channel == "chat":
            by_intent.setdefault(e.intent, []).append(e.text)
    rng = random.Random(seed)
    examples: list[Example] = []
    for file in files:
        try:
            doc = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise DataError(f"{file}: cannot read: {exc}") from exc
        if not isinstance(doc, dict) or doc.get("act") not in ACTS:
            raise DataError(f"{file}: expected 'act: <one of {', '.join(ACTS)}>'")
        act = doc["act"]
        items = doc.get("examples")
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise DataError(f"{file}: expected 'examples:' to be a list of strings")
        texts = [i for i in items if i.strip()]
        sample = doc.get("from_intents") or {}
        if not isinstance(sample, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in sample.items()
        ):
            raise DataError(f"{file}: 'from_intents' must map intent names to counts")
        for intent, count in sorted(sample.items()):
            pool = sorted(by_intent.get(intent, []))
            texts.extend(rng.sample(pool, min(count, len(pool))))
        examples.extend(Example(mask(t), act, "chat") for t in texts)
    return examples
