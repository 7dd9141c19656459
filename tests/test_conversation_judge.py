"""The benchmark's judge, on crafted transcripts: each rule fails when it should and
passes when it should (bench/conversations/README.md is the spec)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.conversation_data import Conversation, Turn
from bench.conversation_runner.judge import (
    contains,
    judge_conversation,
    judge_outcome,
    judge_turn,
    repeated_sentences,
)
from bench.conversation_runner.records import (
    Aftermath,
    Capabilities,
    Check,
    Message,
    Result,
    Seen,
)
from bench.conversation_runner.report import tally

NOTHING = Capabilities()
EVERYTHING = Capabilities(acts=True, display_names=True, status_email=True)


def said(*texts: str, buttons: tuple[str, ...] = (), index: int = 1, **seen: Any) -> Seen:
    messages = [Message("bot", t) for t in texts]
    if buttons and messages:
        messages[-1] = Message("bot", texts[-1], buttons=tuple((b, f"/{b}") for b in buttons))
    return Seen(index, "customer", "hi", messages=messages, **seen)


def judge(
    expect: dict[str, Any],
    seen: Seen,
    *,
    previous: tuple[str, ...] = (),
    caps: Capabilities = NOTHING,
    kind: str = "customer",
) -> dict[str, list[str]]:
    """status -> the keys judged with it."""
    out: dict[str, list[str]] = {"pass": [], "fail": [], "unchecked": []}
    for check in judge_turn(Turn(kind, "hi", expect), seen, previous, caps):
        out[check.status].append(check.key)
    return out


# --- matching -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "item", "found"),
    [
        ("Your order was cancelled.", "cancel", True),  # may end anywhere
        ("Ask one of our groups.", "UPS", False),  # begins at a word boundary
        ("It shipped with UPS today.", "ups", True),  # case-folded
        ("That was $130.", "30", False),
        ("within 30 days", "30", True),
        ("5\u201310 days at the bank", "5-10", True),  # typographic dash folded
        ("5 to 10 days", "5-10", False),  # another string
        ("we\u2019re sorry", "we're sorry", True),  # typographic quote folded
        ("order\u00a0#1001", "order #1001", True),  # non-breaking space folded
        ("see order #1001", "#1001", True),  # not a letter or digit: anywhere
        ("Track   it\n  here", "track it here", True),  # whitespace collapsed
    ],
)
def test_matching_follows_the_readme(text, item, found):
    assert contains(text, item) is found


# --- must, must_not, once, buttons ----------------------------------------------------


def test_must_needs_every_item_and_one_alternative_of_each():
    seen = said("Your parcel is with USPS and on its way.")
    assert judge({"must": ["USPS", ["in transit", "on its way"]]}, seen)["fail"] == []
    assert judge({"must": ["USPS", "9400111899223456789017"]}, seen)["fail"] == ["must"]
    assert judge({"must": [["FedEx", "DHL"]]}, seen)["fail"] == ["must"]


def test_must_reads_every_message_of_the_reply_and_the_agent_name_shown():
    seen = Seen(
        1, "agent_says", "hello",
        messages=[Message("system", "A colleague joined."), Message("agent", "Hi!", "Alex")],
    )  # fmt: skip
    result = judge({"must": ["colleague", "Alex"]}, seen, caps=EVERYTHING, kind="agent_says")
    assert result["fail"] == [] and result["pass"] == ["must", "must"]


def test_must_not_also_reads_buttons_and_the_name_in_the_header():
    assert judge({"must_not": ["refund"]}, said("Your order has shipped."))["fail"] == []
    assert judge({"must_not": ["refund"]}, said("A refund is on its way."))["fail"] == ["must_not"]
    with_button = said("What next?", buttons=("Refund status",))
    assert judge({"must_not": ["refund"]}, with_button)["fail"] == ["must_not"]
    header = said("Someone joined.", names_shown=["cs_agent7"])
    assert judge({"must_not": ["cs_agent7"]}, header)["fail"] == ["must_not"]


def test_once_means_in_exactly_one_message():
    one = said("Alex joined the chat.", "How can I help?")
    two = said("Alex joined the chat.", "Alex joined the chat.")
    none = said("Someone joined the chat.")
    expect = {"once": ["Alex"]}
    assert judge(expect, one, caps=EVERYTHING)["fail"] == []
    assert judge(expect, two, caps=EVERYTHING)["fail"] == ["once"]
    assert judge(expect, none, caps=EVERYTHING)["fail"] == ["once"]


def test_buttons_and_no_buttons_read_the_quick_replies_titles():
    seen = said("Shall I cancel it?", buttons=("Yes, cancel it", "No"))
    assert judge({"buttons": ["Yes", ["No", "Keep it"]]}, seen)["fail"] == []
    assert judge({"buttons": ["Talk to a person"]}, seen)["fail"] == ["buttons"]
    assert judge({"no_buttons": ["Talk to a person"]}, seen)["fail"] == []
    assert judge({"no_buttons": ["cancel"]}, seen)["fail"] == ["no_buttons"]
    # the text of a message is not a button
    assert judge({"buttons": ["cancel"]}, said("Shall I cancel it?"))["fail"] == ["buttons"]


def test_the_display_name_is_not_checkable_until_agents_have_one():
    seen = said("cs_agent7 from our team joined the chat.")
    expect = {"must": ["Alex"], "once": ["Alex"], "must_not": ["cs_agent7"]}
    without = judge(expect, seen, caps=NOTHING)
    assert without["unchecked"] == ["must", "once"]
    assert without["fail"] == ["must_not"]  # the login shown is judged anyway
    assert judge(expect, seen, caps=EVERYTHING)["fail"] == ["must", "must_not", "once"]


# --- intent, act, silent, state ---------------------------------------------------------


def test_intent_is_the_one_acted_on_and_a_list_is_every_ask_in_order():
    seen = said("…", intents=("track_order", "return_item"))
    assert judge({"intent": "track_order"}, seen)["fail"] == []
    assert judge({"intent": "return_item"}, seen)["fail"] == ["intent"]
    assert judge({"intent": ["track_order", "return_item"]}, seen)["fail"] == []
    assert judge({"intent": ["return_item", "track_order"]}, seen)["fail"] == ["intent"]
    one = said("…", intents=("track_order",))
    assert judge({"intent": ["track_order", "return_item"]}, one)["fail"] == ["intent"]
    unread = said("…")  # the service did not read the message at all
    assert judge({"intent": "track_order"}, unread)["fail"] == ["intent"]


def test_act_is_not_checkable_until_the_service_reports_acts():
    seen = said("Done.", act="give_details")
    assert judge({"act": "inform"}, seen, caps=NOTHING)["unchecked"] == ["act"]
    assert judge({"act": "inform"}, seen, caps=EVERYTHING)["pass"] == ["act", "reply"]
    assert judge({"act": "affirm"}, seen, caps=EVERYTHING)["fail"] == ["act"]


def test_silent_means_nothing_at_all_and_a_customer_turn_otherwise_gets_a_reply():
    assert judge({"silent": True}, said())["fail"] == []
    assert judge({"silent": True}, said("Hi! How can I help?"))["fail"] == ["silent"]
    assert judge({}, said())["fail"] == ["reply"]
    assert judge({}, said(handed_over=True))["fail"] == []  # an e-mail a person answers
    assert judge({}, said(), kind="agent")["fail"] == []  # an agent's move needs no reply


def test_state_is_the_consoles_status_after_the_turn():
    assert (
        judge({"state": "waiting"}, said("A colleague is coming.", state="waiting"))["fail"] == []
    )
    assert judge({"state": "waiting"}, said("Hi!", state="bot"))["fail"] == ["state"]


def test_a_turn_that_could_not_be_played_fails_and_nothing_else_is_judged():
    seen = said(error="no quick reply 'Yes' on screen")
    assert judge({"must": ["x"], "intent": "greeting"}, seen)["fail"] == ["turn"]


# --- always judged ----------------------------------------------------------------------


def test_no_sentence_of_four_words_is_said_again_in_the_next_reply():
    previous = ("What is your order number? It starts with #.",)
    again = said("Sorry! What is   your ORDER number")
    assert judge({}, again, previous=previous)["fail"] == ["no_repeat"]
    reworded = said("No problem: the email on the order is enough.")
    assert judge({}, reworded, previous=previous)["fail"] == []
    short = said("It starts with #.")  # three words: allowed
    assert judge({}, short, previous=previous)["fail"] == []


def test_an_emails_signature_is_not_a_repeated_sentence():
    reply = ["Hi Maria,\n\nIt shipped.\n\nKind regards,\nThe Maison Demo team"]
    before = ["Hi Maria,\n\nA return is possible.\n\nKind regards,\nThe Maison Demo team"]
    assert repeated_sentences(reply, before) == ["the maison demo team"]
    assert repeated_sentences(reply, before, ["The Maison Demo team"]) == []


@pytest.mark.parametrize("leftover", ["Hello {{ name }}", "{% if x %}", "Traceback (most", "undefined"])  # fmt: skip
def test_template_leftovers_fail_the_turn(leftover):
    assert judge({}, said(f"Your order {leftover}"))["fail"] == ["no_leftovers"]


# --- the outcome ------------------------------------------------------------------------


def outcome(expect: dict[str, Any], after: Aftermath, caps: Capabilities = NOTHING) -> list[Check]:
    return judge_outcome(expect, after, caps)


def statuses(checks: list[Check]) -> list[str]:
    return [c.status for c in checks]


def test_escalated_is_judged_both_ways_and_not_when_absent():
    assert statuses(outcome({"escalated": True}, Aftermath(escalated=True))) == ["pass"]
    assert statuses(outcome({"escalated": False}, Aftermath(escalated=True))) == ["fail"]
    assert outcome({}, Aftermath(escalated=True)) == []


def test_actions_and_not_actions_read_the_side_effects():
    after = Aftermath(actions={("cancel_order", "#1005"), ("ticket_created", "james@example.com")})
    assert statuses(outcome({"actions": [{"cancel_order": "#1005"}]}, after)) == ["pass"]
    assert statuses(outcome({"actions": [{"cancel_order": "#1001"}]}, after)) == ["fail"]
    assert statuses(outcome({"actions": ["ticket_created"]}, after)) == ["pass"]
    assert statuses(outcome({"not_actions": ["cancel_order"]}, after)) == ["fail"]  # any kind
    assert statuses(outcome({"not_actions": [{"cancel_order": "#1002"}]}, after)) == ["pass"]
    assert statuses(outcome({"not_actions": ["return_requested"]}, after)) == ["pass"]


def test_a_status_email_is_not_checkable_until_the_bot_can_send_one():
    expect = {"actions": [{"status_emailed": "maria@example.com"}]}
    assert statuses(outcome(expect, Aftermath(), NOTHING)) == ["unchecked"]
    assert statuses(outcome(expect, Aftermath(), EVERYTHING)) == ["fail"]
    sent = Aftermath(actions={("status_emailed", "maria@example.com")})
    assert statuses(outcome(expect, sent, NOTHING)) == ["pass"]


def test_tickets_and_what_the_person_receives():
    after = Aftermath(tickets=1, handoff_texts=["Order #1002, FedEx, late."])
    assert statuses(outcome({"tickets": 1, "handoff_must": ["#1002"]}, after)) == ["pass", "pass"]
    assert statuses(outcome({"tickets": 0, "handoff_must": ["#1001"]}, after)) == ["fail", "fail"]


# --- a conversation ------------------------------------------------------------------------


def conversation(turns: list[Turn], outcome: dict[str, Any]) -> Conversation:
    return Conversation(
        id="crafted-01", category="crafted", voice="test", channel="chat", identity="none",
        agents_online=False, business_hours=True, turns=tuple(turns), outcome=outcome,
    )  # fmt: skip


def test_a_conversation_passes_only_when_every_check_holds():
    conv = conversation(
        [Turn("customer", "where is #1001", {"must": ["USPS"]}), Turn("customer", "thanks")],
        {"escalated": False},
    )
    good = [said("It is with USPS."), said("You're welcome!", index=2)]
    checks = judge_conversation(conv, good, Aftermath(), NOTHING)
    assert {c.status for c in checks} == {"pass"}
    repeated = [said("It is with USPS, on its way."), said("It is with USPS, on its way.", index=2)]
    failed = judge_conversation(conv, repeated, Aftermath(), NOTHING)
    assert [(c.turn, c.key) for c in failed if c.status == "fail"] == [(2, "no_repeat")]
    cut_short = judge_conversation(conv, good[:1], Aftermath(), NOTHING)
    assert [(c.turn, c.key) for c in cut_short if c.status == "fail"] == [(2, "turn")]


def test_not_checkable_is_counted_apart_and_never_as_a_pass():
    def result(*statuses: str, fast: bool = False) -> Result:
        checks = [Check(1, "must", s) for s in statuses]  # type: ignore[arg-type]
        return Result("x-01", "x", "chat", fast, "", checks, [])

    results = [
        result("pass", fast=True),
        result("pass", "unchecked", fast=True),
        result("unchecked", "fail"),
    ]
    assert [r.outcome for r in results] == ["passed", "unchecked", "failed"]
    rows = tally(results)
    assert (rows["all"].passed, rows["all"].failed, rows["all"].unchecked) == (1, 1, 1)
    assert rows["all"].rate == pytest.approx(100 / 3)
    assert rows["fast"].run == 2 and rows["fast"].passed == 1
