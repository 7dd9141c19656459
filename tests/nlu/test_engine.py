"""NLU.parse: one clear result for any string, escalation with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.catalogue import INTENTS, OUT_OF_SCOPE
from nlu.engine import NLU, Parse
from nlu.entities import Entity


def test_parse_classifies_cleans_and_extracts(nlu: NLU) -> None:
    p = nlu.parse("  Hi, where is my order #1001?  ")
    assert isinstance(p, Parse)
    assert p.cleaned == "Hi, where is my order #1001?"
    assert p.intent == "track_order"
    assert p.entities == (Entity("order_number", "#1001"),)
    assert p.model_version == nlu.version
    assert p.ranking[0][1] >= p.ranking[-1][1]
    assert p.confidence == dict(p.ranking)["track_order"]


def test_email_channel_ignores_quoted_history(nlu: NLU) -> None:
    email = "I want to return the shoes.\n\nOn Mon, Jan 8, 2024 at 9:14 AM Shop <s@shop.example> wrote:\n> cancel"
    p = nlu.parse(email, channel="email")
    assert p.cleaned == "I want to return the shoes."
    assert p.intent == "return_item"


def test_out_of_scope_escalates_with_a_real_intent_as_best_guess(nlu: NLU) -> None:
    p = nlu.parse("what is the capital of france")
    assert p.escalate
    assert p.reason == "out_of_scope"
    assert p.intent != OUT_OF_SCOPE
    assert p.intent in INTENTS


def test_a_high_threshold_escalates_for_low_confidence(model_dir: Path) -> None:
    strict = NLU.load(model_dir, threshold=1.0)
    p = strict.parse("where is my order?")
    assert p.escalate and p.reason == "low_confidence"
    assert p.intent == "track_order"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("🙂🙂🙂", "empty"),
        ("\x00\x01\x02\x03", "empty"),
        ("Где мой заказ? Он не пришёл.", "unsupported_language"),
        ("包裹在哪里", "unsupported_language"),
        (
            "ÿØÿà\x00\x10JFIF\x00\x01\x01\x00H\x00H\x00\x00ÿÛ\x00C\x00\x08\x06\x06\x07\x06\x05\x08\x07\x07\x07\t\t\x08\n\x0c\x14\r\x0c\x0b\x0b\x0c\x19\x12\x13\x0f\x14\x1d\x1a\x1f\x1e\x1d\x1a\x1c\x1c $.' \",#\x1c\x1c(7),01444\x1f'9=82<.342",
            "unreadable",
        ),
    ],
)
def test_unusable_input_escalates_with_a_reason(nlu: NLU, text: str, reason: str) -> None:
    p = nlu.parse(text)
    assert p.escalate
    assert p.reason == reason
    assert p.intent in INTENTS


def test_a_megabyte_message_is_parsed(nlu: NLU) -> None:
    p = nlu.parse("where is my order? " * 55_000, channel="email")
    assert p.intent in INTENTS
    assert len(p.cleaned) <= 20_000


def test_non_string_text_and_unknown_channel_are_clear_errors(nlu: NLU) -> None:
    with pytest.raises(TypeError, match="str"):
        nlu.parse(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="channel"):
        nlu.parse("hi", channel="sms")


def test_parse_many_matches_parse_and_takes_one_channel_per_text(nlu: NLU) -> None:
    texts = ["hello", "cancel my order please", "Thanks!\n> quoted"]
    batch = nlu.parse_many(texts, channel=["chat", "chat", "email"])
    assert batch[:2] == [nlu.parse(texts[0]), nlu.parse(texts[1])]
    assert batch[2].cleaned == "Thanks!"
    with pytest.raises(ValueError, match="channels"):
        nlu.parse_many(texts, channel=["chat"])


def test_without_a_model_everything_escalates() -> None:
    p = NLU.unavailable().parse("where is my order #1001")
    assert (p.escalate, p.reason, p.intent) == (True, "no_model", "")
    assert p.entities == (Entity("order_number", "#1001"),)


def test_parse_is_frozen(nlu: NLU) -> None:
    p = nlu.parse("hi")
    with pytest.raises(AttributeError):
        p.intent = "thanks"  # type: ignore[misc]


def test_an_answer_is_read_as_a_dialogue_act_when_the_bot_expects_one(nlu: NLU) -> None:
    p = nlu.parse("yes please go ahead", expecting="yes_no")
    assert p.act is not None and p.act.act == "affirm"
    assert p.act.confidence == p.act.ranking[0][1]
    assert nlu.parse("yes please go ahead").act is None
    with pytest.raises(ValueError, match="expecting"):
        nlu.parse("yes", expecting="maybe")
    batch = nlu.parse_many(["its 1001", "hi"], expecting=["order_number", None])
    assert batch[0].act is not None and batch[0].act.act == "give_details"
    assert batch[1].act is None


def test_a_model_without_an_act_model_gives_no_act(model_dir: Path) -> None:
    from nlu import registry

    model, _ = registry.load(model_dir)
    p = NLU(model).parse("yes", expecting="yes_no")
    assert p.act is None and p.intent


def test_asks_signals_and_act_are_in_the_json_shape(nlu: NLU) -> None:
    d = nlu.parse("where is my order? :(", expecting="yes_no").to_dict()
    assert d["asks"][0]["intent"] == "track_order"
    assert d["asks"][0]["text"] == "where is my order? :("
    assert d["act"]["act"] in {"new_request", "affirm", "deny", "checking_in"}
    assert d["signals"] == ["upset"]


def test_a_one_sentence_message_is_one_ask_spanning_it(nlu: NLU) -> None:
    p = nlu.parse("  cancel my order please  ")
    assert [(a.intent, a.start, a.end, a.text) for a in p.asks] == [
        ("cancel_order", 0, len(p.cleaned), p.cleaned)
    ]
    assert nlu.parse("what is the capital of france").asks == ()


_WORDS = [
    "yes",
    "no",
    "cancel",
    "it",
    "if",
    "where",
    "is",
    "my",
    "order",
    "?",
    ".",
    ",",
    "and",
    "also",
    "please",
    "thanks",
    "bye",
    "hi",
    ":(",
    "1001",
]


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(st.sampled_from(_WORDS), max_size=30),
    channel=st.sampled_from(["chat", "email"]),
    expecting=st.sampled_from([None, "yes_no", "agent"]),
)
def test_asks_point_into_the_cleaned_text_and_a_closing_asks_nothing_else(
    nlu: NLU, words: list[str], channel: str, expecting: str | None
) -> None:
    p = nlu.parse(" ".join(words), channel, expecting)
    assert len(p.asks) <= 3
    for ask in p.asks:
        assert p.cleaned[ask.start : ask.end] == ask.text
    if "closing" in p.signals:
        assert all(a.intent in {"greeting", "thanks", "goodbye"} for a in p.asks)
    if p.escalate:
        assert p.asks == ()
