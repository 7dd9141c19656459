"""Shop words: many words for one concept, and the cues of an upset customer."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.errors import DataError
from nlu.lexicon import ConceptMap, load_lexicon, upset_matcher
from nlu.tokens import SpacyLemmatizer


def test_the_project_lexicon_loads_with_both_sections() -> None:
    lexicon = load_lexicon()
    assert lexicon.concepts["reimbursement"] == "refund"
    assert lexicon.concepts["money back"] == "refund"
    assert lexicon.concepts["the bill"] == "invoice"
    assert ":(" in lexicon.upset


def test_phrases_are_replaced_longest_first() -> None:
    table = ConceptMap(
        {"money back": "refund", "back": "rear", "proof of purchase": "invoice"}, str.split
    )

    def read(text: str) -> str:
        return " ".join(table.apply(text.split(" ")))

    assert read("i want my money back") == "i want my refund"
    assert read("the back door") == "the rear door"
    assert read("need proof of purchase now") == "need invoice now"


def test_the_lemmatizer_reads_synonyms_as_the_training_word() -> None:
    lemmas = SpacyLemmatizer(lexicon=load_lexicon().concepts)
    assert lemmas.transform(["I was reimbursed", "can I get a copy of the bill"]) == [
        "i be refund",
        "can i get a invoice",
    ]
    # "billed" alone is a payment word, not an invoice.
    assert lemmas.transform(["I was billed twice"]) == ["i be bill twice"]
    assert "_concepts_cache" not in lemmas.__getstate__()


@pytest.mark.parametrize(
    ("text", "upset"),
    [
        ("one of the mugs arrived cracked :(", True),
        ("I'm really fed up with this", True),
        ("WHERE IS MY ORDER I PAID", True),
        ("this is unacceptable!!!", True),
        ("where is my order?", False),
        ("Thanks, that was quick", False),
    ],
)
def test_upset_cues(text: str, upset: bool) -> None:
    assert upset_matcher(load_lexicon().upset)(text) is upset


@pytest.mark.parametrize(
    "content",
    [
        "- just a list",
        "concepts: [refund]\n",
        "concepts:\n  refund: [money back]\n  invoice: [money back]\n",
        "upset: {a: b}\n",
        "concepts:\n  refund: [3]\n",
    ],
)
def test_a_malformed_lexicon_is_a_data_error(tmp_path: Path, content: str) -> None:
    file = tmp_path / "lexicon.yml"
    file.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=r"lexicon\.yml"):
        load_lexicon(file)
