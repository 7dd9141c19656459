"""Compositional training examples: a backstory, then an ask, labelled with the ask.

Customers tell a story before they ask ("I paid, I can see the charge, I never
got a confirmation email. Has it shipped?"). The training files hold few such
messages, so the model learns the story's words as evidence for their own
topic. This module builds them from the data we have, by a rule that is true
of every such message: **backstory of intent A + an ask of intent B is B.**

* asks of B: B's one-sentence chat examples that read as a question or a
  request (:mod:`nlu.reading`) and name their topic ("has my order shipped?",
  not "where is it?", which means whatever the story before it is about);
* backstory: a statement from another intent's one-sentence examples (no
  question, no request), and/or a neutral sentence from
  ``nlu/data/compose/backstories.yml``;
* a third of the messages are e-mails (greeting, line breaks, sign-off), and
  some put the ask first and the story after.

Deterministic for a seed. Only ever applied to the training split (inside each
cross-validation fold too), never to held-out data.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from nlu.catalogue import OUT_OF_SCOPE
from nlu.dataset import Example
from nlu.errors import DataError
from nlu.reading import segment

__all__ = ["DEFAULT_BACKSTORIES", "SOCIAL_INTENTS", "compose", "load_backstories"]

DEFAULT_BACKSTORIES = Path(__file__).resolve().parent / "data" / "compose" / "backstories.yml"
# Intents that are manners, not topics: never an ask to compose, never a backstory.
SOCIAL_INTENTS = frozenset({"greeting", "thanks", "goodbye"})

_OPENERS = (
    "Hi,",
    "Hello,",
    "Hi there,",
    "Hello team,",
    "Dear Maison Demo,",
    "hey",
    "Good morning,",
)
_SIGNOFFS = (
    "Thanks,\nAnn",
    "Best regards,\nTom Becker",
    "Thank you!\nPriya",
    "cheers\nsam",
    "Kind regards,\nM. Dubois",
)
_MAX_WORDS = 30


def load_backstories(path: Path | None = None) -> list[str]:
    """The neutral backstory sentences of ``path`` (default: the project's file).

    Raises:
        DataError: the file is missing or not a ``backstories:`` list of strings.
    """
    file = Path(path) if path else DEFAULT_BACKSTORIES
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataError(f"{file}: cannot read: {exc}") from exc
    items = doc.get("backstories") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise DataError(f"{file}: expected 'backstories:' with a list of sentences")
    return [i.strip() for i in items if i.strip()]


def compose(
    examples: Sequence[Example],
    nlp: Any,
    *,
    per_intent: int = 40,
    backstories: Sequence[str] | None = None,
    seed: int = 0,
) -> list[Example]:
    """New examples "backstory + ask of B → B" for every topical intent B of ``examples``.

    ``nlp`` is a spaCy pipeline (:func:`nlu.tokens.load_spacy`) used to find
    which examples are one sentence, and which of those ask something.
    Out-of-scope asks get half as many (a story about an order does not make
    the weather in Paris a shop question).
    """
    rng = random.Random(seed)
    stories = list(backstories if backstories is not None else load_backstories())
    asks: dict[str, list[str]] = {}
    statements: dict[str, list[str]] = {}
    chats = [e for e in examples if e.channel == "chat" and e.intent not in SOCIAL_INTENTS]
    for example, doc in zip(chats, nlp.pipe([e.text for e in chats]), strict=True):
        units = segment(doc)
        if len(units) != 1 or len(example.text.split()) > _MAX_WORDS:
            continue
        unit = units[0]
        if unit.ask and not unit.conditional and not unit.anaphoric:
            asks.setdefault(example.intent, []).append(example.text.strip())
        elif not unit.ask and not unit.social and example.intent != OUT_OF_SCOPE:
            statements.setdefault(example.intent, []).append(example.text.strip())
    composed: list[Example] = []
    for intent in sorted(asks):
        pool = asks[intent]
        others = [i for i in sorted(statements) if i != intent]
        count = per_intent // 2 if intent == OUT_OF_SCOPE else per_intent
        for _ in range(count):
            ask = rng.choice(pool)
            story = []
            shape = rng.random()
            if shape < 0.35 or not others:
                story.append(rng.choice(stories))
            if shape >= 0.2 and others:
                story.append(rng.choice(statements[rng.choice(others)]))
            if rng.random() < 0.3 and stories:
                story.insert(0, rng.choice(stories))
            ask_first = rng.random() < 0.15
            parts = [ask, *story] if ask_first else [*story, ask]
            composed.append(_message(parts, intent, email=rng.random() < 0.33, rng=rng))
    return composed


def _message(parts: list[str], intent: str, *, email: bool, rng: random.Random) -> Example:
    sentences = [_sentence(p) for p in parts]
    if not email:
        return Example(" ".join(sentences), intent, "chat")
    body = " ".join(sentences) if rng.random() < 0.5 else "\n".join(sentences)
    text = f"{rng.choice(_OPENERS)}\n\n{body}\n\n{rng.choice(_SIGNOFFS)}\n"
    return Example(text, intent, "email")


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text[-1:] in ".?!" else text + "."
