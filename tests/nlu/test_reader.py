"""The second stage and the asks: the ask outweighs the story, two asks come out in order."""

from __future__ import annotations

import numpy as np
import pytest

from nlu.asks import Ask, UnitScores, find_asks
from nlu.reader import blend
from nlu.reading import Unit

CLASSES = ["cancel_order", "out_of_scope", "payment_issue", "thanks", "track_order"]


def unit(start: int, end: int, *, ask=False, conditional=False, social=False, anaphoric=False):
    return Unit(start, end, (), (), ask, ask, conditional, social, anaphoric)


def p(**probs: float) -> np.ndarray:
    row = np.array([probs.get(c, 0.0) for c in CLASSES]) + 1e-6
    return row / row.sum()


STORY = p(payment_issue=0.8, track_order=0.15, out_of_scope=0.05)
ASK = p(track_order=0.95, payment_issue=0.05)


def test_a_clear_ask_outweighs_the_story() -> None:
    units = [UnitScores(unit(0, 10), STORY), UnitScores(unit(11, 20, ask=True), ASK)]
    blended = blend(STORY, units, weight=1.0, oos=1)
    assert CLASSES[int(blended.argmax())] == "track_order"
    assert blended.sum() == pytest.approx(1.0)
    assert blended[1] == pytest.approx(STORY[1])  # out-of-scope stays the message's call


def test_one_unit_no_ask_or_a_vague_ask_leave_the_message_as_it_is() -> None:
    vague = p(track_order=0.3, payment_issue=0.3, cancel_order=0.3, out_of_scope=0.1)
    assert blend(STORY, [UnitScores(unit(0, 9, ask=True), ASK)], 1.0, 1) is STORY
    assert (
        blend(STORY, [UnitScores(unit(0, 9), STORY), UnitScores(unit(10, 19), ASK)], 1.0, 1)
        is STORY
    )
    two = [UnitScores(unit(0, 9), STORY), UnitScores(unit(10, 19, ask=True), vague)]
    assert blend(STORY, two, 1.0, 1) is STORY
    assert (
        blend(
            STORY, [UnitScores(unit(0, 9), STORY), UnitScores(unit(10, 19, ask=True), ASK)], 0.0, 1
        )
        is STORY
    )


def test_a_conditional_request_leaves_the_lead_to_the_statements() -> None:
    cancel = p(cancel_order=0.97)
    late = p(track_order=0.9, cancel_order=0.1)
    message = p(cancel_order=0.55, track_order=0.45)
    units = [
        UnitScores(unit(0, 30), late),
        UnitScores(unit(32, 60, ask=True, conditional=True), cancel),
    ]
    assert CLASSES[int(blend(message, units, 1.0, 1).argmax())] == "track_order"


TEXT = "can i cancel it? and where is my parcel?"


def test_asks_come_in_the_order_written() -> None:
    units = [
        UnitScores(unit(0, 16, ask=True), p(cancel_order=0.9, track_order=0.1)),
        UnitScores(unit(17, 40, ask=True), p(track_order=0.9, cancel_order=0.1)),
    ]
    asks = find_asks(TEXT, units, CLASSES, "track_order", 0.6, threshold=0.3, margin=0.0)
    assert [(a.intent, a.text) for a in asks] == [
        ("cancel_order", "can i cancel it?"),
        ("track_order", "and where is my parcel?"),
    ]
    assert all(isinstance(a, Ask) for a in asks)


def test_the_main_intent_is_always_an_ask_and_a_condition_comes_last() -> None:
    text = "cancel it if you can't ship. it's been a week since i paid"
    units = [
        UnitScores(unit(0, 28, ask=True, conditional=True), p(cancel_order=0.95)),
        UnitScores(unit(29, 58), p(track_order=0.7, payment_issue=0.3)),
    ]
    asks = find_asks(text, units, CLASSES, "track_order", 0.6, threshold=0.3, margin=0.0)
    assert [(a.intent, a.conditional) for a in asks] == [
        ("track_order", False),
        ("cancel_order", True),
    ]


def test_same_intent_twice_is_one_ask_and_social_units_are_not_asks() -> None:
    text = "hi! where is my order? has it shipped?"
    units = [
        UnitScores(unit(0, 3, social=True), p(thanks=0.9)),
        UnitScores(unit(4, 22, ask=True), p(track_order=0.8, cancel_order=0.2)),
        UnitScores(unit(23, 38, ask=True), p(track_order=0.9, cancel_order=0.1)),
    ]
    asks = find_asks(text, units, CLASSES, "track_order", 0.9, threshold=0.3, margin=0.0)
    assert [(a.intent, a.text, a.confidence) for a in asks] == [
        ("track_order", "where is my order?", pytest.approx(0.9, abs=1e-3))
    ]


def test_an_escalated_message_has_no_asks_unless_a_unit_is_clear() -> None:
    units = [UnitScores(unit(0, 10), STORY)]
    assert find_asks("whatever!!", units, CLASSES, "", 0.2, threshold=0.3, margin=0.0) == ()
