"""decide(): threshold, ambiguity margin and out-of-scope decide escalation."""

from __future__ import annotations

import numpy as np
import pytest

from nlu.decision import Decision, choose_operating_point, decide, rank


def test_rank_sorts_best_first() -> None:
    assert rank([0.2, 0.7, 0.1], ["a", "b", "c"]) == (("b", 0.7), ("a", 0.2), ("c", 0.1))


@pytest.mark.parametrize(
    ("ranking", "expected"),
    [
        ([("track_order", 0.9), ("thanks", 0.1)], Decision("track_order", 0.9, False, None)),
        (
            [("track_order", 0.4), ("thanks", 0.3)],
            Decision("track_order", 0.4, True, "low_confidence"),
        ),
        (
            [("track_order", 0.55), ("cancel_order", 0.45)],
            Decision("track_order", 0.55, True, "ambiguous"),
        ),
        (
            [("out_of_scope", 0.8), ("greeting", 0.2)],
            Decision("greeting", 0.2, True, "out_of_scope"),
        ),
        ([], Decision("", 0.0, True, "no_model")),
    ],
)
def test_decide(ranking: list[tuple[str, float]], expected: Decision) -> None:
    assert decide(ranking, threshold=0.5, margin=0.2) == expected


def test_threshold_and_margin_of_zero_never_escalate_an_intent() -> None:
    assert not decide([("a", 0.01), ("b", 0.01)], threshold=0.0, margin=0.0).escalate


def test_operating_point_separates_confident_from_unsure() -> None:
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.55, 0.45], [0.6, 0.4]])
    threshold, margin, accuracy = choose_operating_point(
        proba, ["a", "b"], ["a", "a", "out_of_scope", "out_of_scope"]
    )
    assert 0.6 < threshold <= 0.8
    assert margin == 0.0
    assert accuracy == 1.0


def test_tolerance_prefers_the_more_cautious_of_nearly_equal_points() -> None:
    proba = np.array([[0.9, 0.1]] * 99 + [[0.6, 0.4]])
    truth = ["a"] * 100
    exact, _, best = choose_operating_point(proba, ["a", "b"], truth)
    cautious, _, accuracy = choose_operating_point(proba, ["a", "b"], truth, tolerance=0.02)
    assert exact == 0.0 and best == 1.0
    assert cautious > 0.6 and accuracy == 0.99
