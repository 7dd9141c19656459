"""The rule between the intent classifier and a help-center article, as a table."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from nlu.catalogue import INTENTS
from nlu.retrieval.route import (
    CONVERSATION_INTENTS,
    HANDOFF_INTENTS,
    INFO_INTENTS,
    ORDER_INTENTS,
    may_answer,
    route,
)


@dataclass(frozen=True)
class P:
    intent: str
    escalate: bool = False
    reason: str | None = None
    confidence: float = 0.95


@dataclass(frozen=True)
class A:
    confidence: float
    threshold: float = 0.75


SURE, UNSURE = A(0.9), A(0.5)


@pytest.mark.parametrize(
    ("parse", "answer", "to"),
    [
        # A confident order intent: the script, whatever the article says.
        (P("track_order"), SURE, "intent"),
        (P("cancel_subscription"), SURE, "intent"),
        (P("refund_status"), SURE, "intent"),
        # A confident conversation intent: the script ("thanks" needs no article).
        (P("thanks"), SURE, "intent"),
        (P("human_agent"), SURE, "intent"),
        # A confident general-information intent yields to a confident article only.
        (P("shipping_info"), SURE, "article"),
        (P("shipping_info"), UNSURE, "intent"),
        (P("shipping_info"), None, "intent"),
        (P("account_help"), SURE, "article"),
        # A hand-off intent (its script only passes the message on): the classifier sure
        # of it (a payment problem): the script; less sure (a payment question): a
        # confident article.
        (P("payment_issue", confidence=0.99), SURE, "intent"),
        (P("payment_issue", confidence=0.90), SURE, "intent"),
        (P("payment_issue", confidence=0.85), SURE, "article"),
        (P("payment_issue", confidence=0.85), UNSURE, "intent"),
        (P("payment_issue", confidence=0.85), None, "intent"),
        # The classifier escalates: a confident article answers, else a person as before.
        (P("track_order", True, "out_of_scope"), SURE, "article"),
        (P("track_order", True, "low_confidence"), SURE, "article"),
        (P("return_item", True, "ambiguous"), SURE, "article"),
        (P("", True, "no_model"), SURE, "article"),
        (P("track_order", True, "out_of_scope"), UNSURE, "intent"),
        (P("track_order", True, "out_of_scope"), None, "intent"),
        # Nothing readable: never an article.
        (P("", True, "empty"), SURE, "intent"),
        (P("", True, "unsupported_language"), SURE, "intent"),
        # An intent the rule does not know yet counts as an order intent.
        (P("brand_new_intent"), SURE, "intent"),
        # Exactly at the threshold answers.
        (P("greeting", True, "out_of_scope"), A(0.75), "article"),
    ],
)
def test_route(parse, answer, to):
    assert route(parse, answer).to == to
    # The server looks articles up only when the rule could choose one.
    assert may_answer(parse) or route(parse, SURE).to == "intent"


def test_every_catalogue_intent_is_in_exactly_one_group():
    groups = [ORDER_INTENTS, HANDOFF_INTENTS, CONVERSATION_INTENTS, INFO_INTENTS]
    for intent in INTENTS:
        assert sum(intent in g for g in groups) == 1, intent
