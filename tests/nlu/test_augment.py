"""Compositional examples: a backstory of one intent, an ask of another, labelled with the ask."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.augment import compose, load_backstories
from nlu.dataset import Example
from nlu.errors import DataError
from nlu.tokens import load_spacy

EXAMPLES = [
    Example("where is my order?", "track_order"),
    Example("has my parcel shipped yet?", "track_order"),
    Example("where is it?", "track_order"),  # names no topic: never an ask to compose
    Example("I was charged twice for one order", "payment_issue"),
    Example("can you fix the double charge?", "payment_issue"),
    Example("my card was declined at checkout", "payment_issue"),
    Example("thanks!", "thanks"),
    Example("what's the weather tomorrow?", "out_of_scope"),
]


@pytest.fixture(scope="module")
def nlp():
    return load_spacy()


def test_a_backstory_then_an_ask_is_labelled_with_the_ask(nlp) -> None:
    made = compose(EXAMPLES, nlp, per_intent=20, backstories=["I paid by card."], seed=1)
    tracks = [e for e in made if e.intent == "track_order"]
    assert len(tracks) == 20
    assert all(
        "where is my order?" in e.text or "has my parcel shipped yet?" in e.text for e in tracks
    )
    assert not any("where is it?" in e.text for e in made)
    # The story comes from another intent's statements or the neutral backstories.
    assert any("charged twice" in e.text or "declined" in e.text for e in tracks)
    assert {e.intent for e in made} == {"track_order", "payment_issue", "out_of_scope"}
    assert len([e for e in made if e.intent == "out_of_scope"]) == 10
    assert any(e.channel == "email" and "\n" in e.text for e in made)


def test_composition_is_deterministic(nlp) -> None:
    first = compose(EXAMPLES, nlp, per_intent=5, seed=3)
    assert first == compose(EXAMPLES, nlp, per_intent=5, seed=3)
    assert first != compose(EXAMPLES, nlp, per_intent=5, seed=4)


def test_the_project_backstories_load() -> None:
    stories = load_backstories()
    assert len(stories) >= 40
    assert all(s.strip() == s and s for s in stories)


def test_a_malformed_backstory_file_is_a_data_error(tmp_path: Path) -> None:
    file = tmp_path / "backstories.yml"
    file.write_text("stories: [a]\n", encoding="utf-8")
    with pytest.raises(DataError, match="backstories"):
        load_backstories(file)
