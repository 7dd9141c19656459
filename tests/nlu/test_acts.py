"""Dialogue-act data: hand-written replies plus samples of intents, numbers masked."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from nlu.acts import ACTS, load_act_examples, mask
from nlu.dataset import Example
from nlu.errors import DataError


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("its 1001", "its  xnumberx "),
        ("#1005", " xnumberx "),
        ("maria@example.com and order 1001", " xemailx  and order  xnumberx "),
        ("size 38", "size 38"),
        ("the first one", "the first one"),
    ],
)
def test_numbers_and_addresses_are_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


def test_the_project_act_data_covers_every_act_in_several_voices() -> None:
    intents = [Example(f"please connect me to a person {i}", "human_agent") for i in range(80)]
    examples = load_act_examples(intent_examples=intents)
    counts = Counter(e.intent for e in examples)
    assert set(counts) == set(ACTS)
    assert min(counts.values()) >= 25
    # from_intents: 60 human_agent examples become ask_person replies, masked.
    assert sum("connect me to a person" in e.text for e in examples) == 60
    assert not any("1001" in e.text or "@example.com" in e.text for e in examples)


def test_sampling_is_deterministic() -> None:
    intents = [Example(f"cancel please {i}", "human_agent") for i in range(100)]
    assert load_act_examples(intent_examples=intents) == load_act_examples(intent_examples=intents)


@pytest.mark.parametrize(
    "content",
    [
        "act: shrug\nexamples: [meh]\n",
        "act: affirm\nexamples: [yes, true]\n",
        "act: affirm\nexamples: ['yes']\nfrom_intents: [thanks]\n",
    ],
)
def test_a_malformed_act_file_is_a_data_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "bad.yml").write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.yml"):
        load_act_examples(tmp_path)


def test_an_empty_act_directory_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no"):
        load_act_examples(tmp_path)
