"""Reading a message: sentences and clauses, which of them ask, which only tell."""

from __future__ import annotations

import pytest

from nlu.reading import Unit, is_ask, segment
from nlu.tokens import load_spacy


@pytest.fixture(scope="module")
def nlp():
    return load_spacy()


def units(nlp, text: str) -> list[tuple[str, str]]:
    """(span, cues) per unit; cues: A ask, Q question, C conditional, S social, R anaphoric."""
    found = []
    for u in segment(nlp(text)):
        cues = "".join(
            flag
            for flag, on in (
                ("A", u.ask),
                ("Q", u.question),
                ("C", u.conditional),
                ("S", u.social),
                ("R", u.anaphoric),
            )
            if on
        )
        found.append((text[u.start : u.end], cues))
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I bought a wrap dress from your store this week. I can see the charge on my credit "
            "card but I never got a confirmation email. Could you tell me if it has shipped?",
            [
                ("I bought a wrap dress from your store this week.", ""),
                (
                    "I can see the charge on my credit card but I never got a confirmation email.",
                    "",
                ),
                ("Could you tell me if it has shipped?", "AQ"),
            ],
        ),
        (
            "can i return it if it doesnt fit? and how long do refunds take?",
            [("can i return it if it doesnt fit?", "AQ"), ("and how long do refunds take?", "AQ")],
        ),
        (
            "paid a week ago, still not shipped although you promise 2 days, cancel it if you "
            "can't ship",
            [
                ("paid a week ago, still not shipped although you promise 2 days", ""),
                ("cancel it if you can't ship", "AC"),
            ],
        ),
        ("thank you, bye", [("thank you", "S"), ("bye", "S")]),
        ("Hi,\n\nwhere is my order?", [("Hi", "S"), ("where is my order?", "AQ")]),
        ("order no. 1001 please", [("order no. 1001 please", "A")]),
        ("one of the mugs arrived cracked :(", [("one of the mugs arrived cracked :(", "")]),
        (
            "the gloves were not in the box. where are they?",
            [("the gloves were not in the box.", ""), ("where are they?", "AQR")],
        ),
        (
            "I need to update my email on my account, and I'd also like to cancel my candle box.",
            [
                ("I need to update my email on my account", "A"),
                ("and I'd also like to cancel my candle box.", "A"),
            ],
        ),
        (
            "The mug arrived chipped. Also, one plate is missing.",
            [("The mug arrived chipped.", ""), ("Also, one plate is missing.", "A")],
        ),
    ],
)
def test_messages_are_cut_into_units_that_ask_or_tell(nlp, text: str, expected) -> None:
    assert units(nlp, text) == expected


@pytest.mark.parametrize(
    ("words", "ask"),
    [
        ("where is my parcel", True),
        ("can you send the invoice", True),
        ("please refund me", True),
        ("i would like a refund", True),
        ("i'd like to return it", True),
        ("cancel my order", True),
        ("let me know when it ships", True),
        ("i like the dress", False),
        ("i got charged twice", False),
        ("sent it back last week", False),
        ("return label is broken", False),
    ],
)
def test_asks_are_questions_requests_and_imperatives(words: str, ask: bool) -> None:
    assert is_ask(words.split()) is ask


def test_units_keep_spans_into_the_text(nlp) -> None:
    text = "Hello.\n\nMy order #1001 is late. When will it arrive?\n\nThanks, Ann"
    found = segment(nlp(text))
    assert all(isinstance(u, Unit) for u in found)
    assert [text[u.start : u.end] for u in found] == [
        "Hello.",
        "My order #1001 is late.",
        "When will it arrive?",
        "Thanks",
        "Ann",
    ]
