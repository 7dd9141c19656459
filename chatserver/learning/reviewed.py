"""Reviewed production messages as extra training examples, straight from the store.

``chatbot train --include-reviewed`` uses this instead of the two-step
``chatbot data export`` + ``chatbot data import``: the accepted labels of the
prediction log (masked text, see :mod:`chatserver.privacy`) are added to the
training examples in memory, skipping any whose normalised text is already in
the training or held-out set, so the held-out set stays unseen. Nothing is
written to ``nlu/data``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from chatserver.learning.training_data import MergeReport, examples_of, normalise
from nlu.dataset import Example

__all__ = ["accepted_examples", "add_reviewed", "load_accepted"]


async def accepted_examples(database_url: str) -> list[Example]:
    """The accepted labels of the prediction log in ``database_url``, as examples."""
    from chatserver.storage import SqlStorage

    storage = SqlStorage(database_url)
    await storage.start()
    try:
        return examples_of(await storage.predictions.labelled(["accepted"]))
    finally:
        await storage.aclose()


def load_accepted(database_url: str) -> list[Example]:
    """:func:`accepted_examples` for synchronous callers (the CLI)."""
    return asyncio.run(accepted_examples(database_url))


def add_reviewed(
    train: Sequence[Example], reviewed: Sequence[Example], heldout: Sequence[Example]
) -> tuple[list[Example], MergeReport]:
    """``train`` plus the ``reviewed`` examples that are new to both train and held-out."""
    seen_train = {normalise(e.text) for e in train}
    seen_heldout = {normalise(e.text) for e in heldout}
    report = MergeReport()
    added: list[Example] = []
    taken: set[str] = set()
    for e in reviewed:
        key = normalise(e.text)
        if key in seen_heldout:
            report.in_heldout += 1
        elif key in seen_train:
            report.in_train += 1
        elif key in taken:
            report.repeated += 1
        else:
            taken.add(key)
            added.append(e)
            report.added[e.intent] += 1
    return [*train, *added], report
