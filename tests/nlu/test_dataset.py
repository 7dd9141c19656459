"""Training data: YAML per intent or JSON Lines; e-mails are examples with line breaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.dataset import Example, data_hash, load_examples, stratified_split
from nlu.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures"


def test_yaml_directory_loads_every_intent_with_channels() -> None:
    examples = load_examples(FIXTURES / "train")
    intents = {e.intent for e in examples}
    assert {"track_order", "out_of_scope", "greeting"} <= intents
    emails = [e for e in examples if e.channel == "email"]
    assert emails and all("\n" in e.text.strip() for e in emails)


def test_jsonl_with_bad_line_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "d.jsonl"
    file.write_text('{"text": "hi", "intent": "greeting"}\n{"text": 1}\n')
    with pytest.raises(DataError, match=r"d\.jsonl:2"):
        load_examples(file)


def test_missing_path_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError):
        load_examples(tmp_path / "nope")


def test_hash_ignores_order_but_not_content() -> None:
    a, b = Example("hi", "greeting"), Example("bye", "goodbye")
    assert data_hash([a, b]) == data_hash([b, a])
    assert data_hash([a]) != data_hash([Example("hi!", "greeting")])


def test_stratified_split_keeps_every_intent_in_training() -> None:
    examples = [Example(f"t{i}", "a") for i in range(10)] + [Example("only", "b")]
    train, test = stratified_split(examples, test_size=0.2)
    assert len(test) == 2 and {e.intent for e in test} == {"a"}
    assert {e.intent for e in train} == {"a", "b"}
