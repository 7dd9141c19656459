"""Issue 13, the dialogue: a reply is read as an answer first, two asks are both answered,
the thread is kept when the customer lacks what the bot asked for.

Pure ``step`` tests: each message carries what the NLU read (its intent, its act when
the bot waited, its asks); the service's part (``expecting`` from the state, the act on
``TurnResult.act``, the status e-mailed through Zendesk) is pinned at the end.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from chatserver.dialogue import (
    AgentsAvailable,
    CancelOrder,
    CancelSubscription,
    DialogueState,
    HandOff,
    LookupOrder,
    LookupSubscriptions,
    OrderFound,
    OrdersFound,
    Reply,
    SubscriptionsFound,
    UserMessage,
)
from chatserver.dialogue.actions import EmailOrderStatus
from chatserver.dialogue.acts import expecting
from chatserver.dialogue.engine import step
from chatserver.dialogue.events import StatusEmailed
from chatserver.policy import load_policy
from integrations.models import LineItem, Order, Subscription
from tests.chatserver.harness import NOW, KeywordClassifier, World

POLICY = load_policy()
COFFEE = Subscription("gid://shopify/SubscriptionContract/1", "ACTIVE", "Coffee beans, monthly")
NOAH = "noah@example.com"
SHIRT = Order(
    "gid://shopify/Order/1005", "#1005", "sam@example.com", NOW, "PAID", "UNFULFILLED",
    (LineItem("li-1", "Linen shirt", 1),),
)  # fmt: skip


def said(text, intent=None, act=None, asks=(), **kw):
    """A customer message as the service hands it to the step."""
    return UserMessage(
        text, NOW, intent=intent, confidence=0.9 if intent else 0.1, escalate=intent is None,
        act=act, act_confidence=0.95 if act else 0.0, asks=asks, **kw,
    )  # fmt: skip


def asked_to_cancel_the_subscription() -> DialogueState:
    """Noah (signed in) asked to cancel; the bot asks "Shall I cancel your subscription?"."""
    start = said("i want to cancel my coffee subscription", "cancel_subscription",
                 identity_email=NOAH)  # fmt: skip
    state, _ = step(DialogueState(), start, POLICY)
    state, actions = step(state, SubscriptionsFound((COFFEE,)), POLICY)
    assert state.awaiting == "confirm" and actions[0].template == "cancel_subscription/confirm"
    return state


def answer(state: DialogueState, msg: UserMessage):
    """One step, and Shopify's answer when it asks for the subscriptions (every turn)."""
    state, actions = step(state, msg, POLICY)
    if any(isinstance(a, LookupSubscriptions) for a in actions):
        state, actions = step(state, SubscriptionsFound((COFFEE,)), POLICY)
    return state, actions


def templates(actions) -> list[str]:
    return [a.template for a in actions if isinstance(a, Reply)]


# --- 1. an answer to the bot's question is read as an answer first --------------------


@pytest.mark.parametrize(
    ("reply", "intent", "act", "expected"),
    [
        # the case: the words say "cancel", the act says yes to the question asked
        ("ok fine yes cancel it", "cancel_order", "affirm", CancelSubscription(COFFEE.id)),
        ("sure go ahead", None, "affirm", CancelSubscription(COFFEE.id)),
        ("nah", "goodbye", "deny", "cancel_subscription/kept"),
        # a change of request the bot cannot do: said so, a person offered, not the question again
        ("can i pause it instead for a couple months?", "cancel_subscription", "new_request",
         "common/cannot_do"),
        ("ok, can someone from your team pause it for me then", "human_agent", "ask_person",
         HandOff),
        # outside the catalogue: what the bot can help with, a person as a choice
        ("whats the weather in paris tomorrow", "out_of_scope", "new_request",
         "basics/out_of_scope"),
        ("forget it", None, "stop", "common/never_mind"),
    ],
)  # fmt: skip
def test_a_typed_reply_to_a_yes_no_question_is_read_by_its_act(reply, intent, act, expected):
    state = asked_to_cancel_the_subscription()
    state, actions = answer(state, said(reply, intent, act, identity_email=NOAH))
    if isinstance(expected, str):
        assert expected in templates(actions)
        assert "cancel_subscription/confirm" not in templates(actions)
    elif isinstance(expected, type):
        assert any(isinstance(a, expected) for a in actions)
    else:
        assert expected in actions


@pytest.mark.parametrize(
    ("text", "intent", "noted"),
    [
        ("can i pause it instead?", "cancel_subscription", "pause"),  # for the agent's summary
        ("whats the weather in paris", "out_of_scope", ""),
    ],
)
def test_a_request_the_bot_cannot_do_keeps_the_question_open_and_a_person_can_take_it(
    text, intent, noted
):
    state = asked_to_cancel_the_subscription()
    msg = said(text, intent, "new_request", identity_email=NOAH)
    if intent == "out_of_scope":  # as the model gives it: the best in-scope intent, escalated
        msg = replace(msg, intent="track_order", confidence=0.03, escalate=True,
                      ranking=(("out_of_scope", 0.92), ("track_order", 0.03)))  # fmt: skip
    state, actions = answer(state, msg)
    assert state.awaiting == "confirm" and noted in " ".join(state.tried)
    if intent == "out_of_scope":
        assert templates(actions) == ["basics/out_of_scope"]
    assert [b.payload for a in actions if isinstance(a, Reply) for b in a.buttons] == [
        "/human_agent"
    ]
    state, actions = answer(state, said("yes cancel it", None, "affirm", identity_email=NOAH))
    assert CancelSubscription(COFFEE.id) in actions


def test_a_new_request_mid_flow_switches_topic_and_keeps_the_proof():
    state, _ = step(DialogueState(), said("cancel my order", "cancel_order"), POLICY)
    state, _ = step(state, said("sam@example.com #1005"), POLICY)
    state, actions = step(state, OrderFound(SHIRT, "sam@example.com", proof=True), POLICY)
    assert state.awaiting == "confirm"
    state, actions = step(
        state, said("where is it actually?", "track_order", "new_request"), POLICY
    )
    assert state.intent == "track_order" and state.slots.verified_email == "sam@example.com"
    assert "identity/ask_both" not in templates(actions)


@pytest.mark.parametrize(
    ("state", "waiting", "expected"),
    [
        (DialogueState(), False, None),
        (DialogueState(), True, "agent"),
        (DialogueState(awaiting="confirm"), False, "yes_no"),
        (DialogueState(awaiting="item"), False, "choice"),
        (DialogueState(awaiting="identity"), False, "order_number"),
        (DialogueState(awaiting="identity").with_slots(order_number="#1001"), False, "email"),
        (DialogueState(awaiting="identity").with_slots(no_number=True), False, "email"),
        (DialogueState(awaiting="new_address"), False, "address"),
    ],
)  # fmt: skip
def test_what_the_bot_waits_for_is_what_the_act_model_expects(state, waiting, expected):
    assert expecting(state, waiting_for_person=waiting) == expected


# --- 2. two asks in one message are both answered, in order ---------------------------


def test_two_asks_are_answered_in_one_reply_in_order():
    msg = said("can i return it if it doesnt fit? and how long do refunds take?", "return_item",
               asks=(("return_item", "ask"), ("refund_status", "ask")))  # fmt: skip
    state, actions = step(DialogueState(), msg, POLICY)
    # the return needs its own proof step: asked; the second ask waits for it
    assert state.intent == "return_item" and state.pending == ("refund_status",)
    assert state.facts.started == ("return_item",)
    assert templates(actions) == ["identity/ask_both"]


def test_an_ask_that_needs_nothing_is_answered_beside_a_question():
    state = asked_to_cancel_the_subscription()
    msg = said("cancel it, and what do you charge for shipping?", "cancel_subscription",
               asks=(("cancel_subscription", "ask"), ("shipping_info", "ask")),
               identity_email=NOAH)  # fmt: skip
    state, _ = step(replace(state, awaiting=None, intent=None), msg, POLICY)
    state, actions = step(state, SubscriptionsFound((COFFEE,)), POLICY)
    assert templates(actions)[0] == "cancel_subscription/confirm"
    assert any(t.startswith("shipping_info/") for t in templates(actions))
    assert state.awaiting == "confirm" and state.pending == ()
    assert state.facts.started == ("cancel_subscription", "shipping_info")


def test_the_backstory_is_not_an_ask():
    # "I was charged but never got a confirmation email. Has it shipped?"
    msg = said("charged but no confirmation. has it shipped?", "payment_issue",
               asks=(("payment_issue", "statement"), ("track_order", "ask")))  # fmt: skip
    state, _ = step(DialogueState(), msg, POLICY)
    assert state.intent == "track_order" and state.pending == ()


def test_a_conditional_cancel_is_offered_when_the_order_is_late():
    ethan = Order("gid://shopify/Order/1010", "#1010", "ethan@example.com",
                  NOW.replace(day=NOW.day - 6), "PAID", "UNFULFILLED",
                  (LineItem("li-9", "Wrap dress", 1),))  # fmt: skip
    msg = said("paid a week ago, still not shipped, cancel it if you can't ship", "track_order",
               asks=(("track_order", "ask"), ("cancel_order", "if")))  # fmt: skip
    state, _ = step(DialogueState(), msg, POLICY)
    assert state.pending == ("if cancel_order",)
    state, _ = step(state, said("ethan@example.com #1010"), POLICY)
    state, actions = step(state, OrderFound(ethan, "ethan@example.com", proof=True), POLICY)
    assert templates(actions) == ["track_order/not_shipped_late", "cancel_order/confirm"]
    assert not any(isinstance(a, HandOff) for a in actions)
    state, actions = step(state, said("yes cancel it", "cancel_order", "affirm"), POLICY)
    assert actions == [LookupOrder("#1010", "ethan@example.com")]  # read afresh every turn
    state, actions = step(state, OrderFound(ethan, "ethan@example.com"), POLICY)
    assert actions == [CancelOrder(ethan.id)]


# --- 4. recovery paths: no order number, "I don't know", the same sentence twice -------


def test_no_order_number_offers_to_email_the_status_to_the_address_on_the_order():
    state, actions = step(DialogueState(), said("where is my order", "track_order"), POLICY)
    state, actions = step(state, said("I dont have an order number", None, "dont_know"), POLICY)
    assert templates(actions) == ["identity/ask_email_for_status"]
    state, actions = step(state, said("maria@example.com", None, "give_details"), POLICY)
    assert actions == [EmailOrderStatus("maria@example.com")]  # no lookup shown in the chat
    state, actions = step(state, StatusEmailed(sent=True), POLICY)
    assert templates(actions) == ["identity/status_emailed"]
    # the number from that e-mail, with this address, proves the order here
    found = said("oh wait found it, its #1001", "account_help", "give_details")
    state, actions = step(state, found, POLICY)
    assert actions == [LookupOrder("#1001", "maria@example.com", proof=True)]


def test_thanks_to_a_question_ends_it_warmly_instead_of_asking_again():
    state, _ = step(DialogueState(), said("where is my order", "track_order"), POLICY)
    state, actions = step(state, said("ok thanks", "thanks", "thanks"), POLICY)
    assert templates(actions) == ["basics/thanks"] and state.awaiting is None


def test_a_first_message_without_an_order_number_goes_the_email_way():
    text = "i lost the confirmation email, can you look it up by my email?"
    state, actions = step(DialogueState(), said(text, "account_help"), POLICY)
    assert state.intent == "track_order"  # about an order, not a password
    assert templates(actions) == ["identity/ask_email_for_status"]


def test_not_knowing_the_email_either_offers_a_person():
    state, _ = step(DialogueState(), said("where is my order", "track_order"), POLICY)
    state, _ = step(state, said("no idea what the number is", None, "dont_know"), POLICY)
    state, actions = step(state, said("i dont know that either", None, "dont_know"), POLICY)
    assert templates(actions) == ["identity/no_details"]
    assert [b.payload for a in actions if isinstance(a, Reply) for b in a.buttons] == [
        "/human_agent"
    ]


def test_an_order_number_typed_after_the_question_lapsed_goes_back_to_the_order():
    state, _ = step(DialogueState(), said("where is my order", "track_order"), POLICY)
    state, _ = step(state, said("hello", "greeting"), POLICY)  # the question lapses
    state, actions = step(state, said("maria@example.com 1001", "greeting"), POLICY)
    assert actions == [LookupOrder("#1001", "maria@example.com", proof=True)]


def test_asked_again_the_bot_says_it_in_other_words():
    state, first = step(DialogueState(), said("where is my order", "track_order"), POLICY)
    sentences = [first]
    for text in ("blue", "potato"):
        state, actions = step(state, said(text), POLICY)
        sentences.append(actions)
    rendered = [(a.template, a.context.get("again")) for r in sentences for a in r]
    assert len(set(rendered)) == 3  # three different wordings, never the same twice


# --- the service: expecting from the state, the act reported, the status e-mailed -----


class ActReader(KeywordClassifier):
    """The keyword stand-in, with an act for a reply while the bot waits."""

    ACTS = {"i dont have an order number": "dont_know", "maria@example.com": "give_details"}

    def parse(self, text, channel="chat", expecting=None):
        parse = super().parse(text, channel)
        if expecting is None:
            return parse
        from nlu.acts import Act

        act = self.ACTS.get(text.lower(), "new_request")
        return replace(parse, act=Act(act, 0.9, ((act, 0.9),)))


async def test_the_service_reports_the_act_and_emails_the_status_without_showing_it():
    world = await World(classifier=ActReader()).start()
    try:
        chat = await world.chat()
        await chat.say("where is my order")
        assert chat.last.act is None  # nothing was asked yet
        reply = await chat.say("I dont have an order number")
        assert chat.last.act == "dont_know" and "email" in reply
        reply = await chat.say("maria@example.com")
        assert chat.last.act == "give_details"
        assert "maria@example.com" in reply and "9400111899223456789017" not in reply
        zendesk = world.sandboxes.zendesk
        (ticket,) = zendesk.tickets.values()
        assert zendesk.users[ticket.requester_id].email == "maria@example.com"
        assert "9400111899223456789017" in ticket.comments[-1].body  # in her inbox only
        assert not chat.last.escalated
    finally:
        await world.aclose()


# --- the thread is kept -----------------------------------------------------------------


def test_a_side_question_is_answered_and_the_bots_question_stays_open():
    state = asked_to_cancel_the_subscription()
    side = said("before that - what does shipping cost?", "shipping_info", "new_request",
                identity_email=NOAH)  # fmt: skip
    state, actions = answer(state, side)
    assert [t.split("/")[0] for t in templates(actions)] == ["shipping_info"]
    assert state.intent == "cancel_subscription" and state.awaiting == "confirm"
    state, actions = answer(state, said("ok yes", None, "affirm", identity_email=NOAH))
    assert CancelSubscription(COFFEE.id) in actions


def test_no_actually_with_another_request_is_that_request_not_a_no():
    state, _ = step(DialogueState(), said("cancel my order", "cancel_order"), POLICY)
    state, _ = step(state, said("sam@example.com #1005"), POLICY)
    state, _ = step(state, OrderFound(SHIRT, "sam@example.com", proof=True), POLICY)
    instead = said("no actually can you ship it to 500 W 2nd St, Austin TX 78701 instead?",
                   "change_address", "new_request")  # fmt: skip
    state, actions = step(state, instead, POLICY)
    assert state.intent == "change_address" and "cancel_order/kept" not in templates(actions)


def test_a_pair_that_did_not_match_keeps_the_number_for_a_corrected_email():
    first = said("where is order 1003", "track_order", entities=(("order_number", "1003"),))
    state, _ = step(DialogueState(), first, POLICY)
    state, actions = step(state, said("priya.patel@example.com"), POLICY)
    state, actions = step(state, OrderFound(None, "priya.patel@example.com", proof=True), POLICY)
    assert templates(actions) == ["identity/no_match"]
    state, actions = step(state, said("ah try priya@example.com", None, "give_details"), POLICY)
    assert actions == [LookupOrder("#1003", "priya@example.com", proof=True)]


def test_the_pair_that_did_not_match_is_not_tried_again():
    state, _ = step(DialogueState(), said("where is my order", "track_order"), POLICY)
    state, _ = step(state, said("maria@example.com #1009"), POLICY)
    state, _ = step(state, OrderFound(None, "maria@example.com", proof=True), POLICY)
    state, actions = step(state, said("hmm"), POLICY)
    assert not any(isinstance(a, LookupOrder) for a in actions)
    assert state.attempts == 1


def test_a_size_change_is_not_an_address_change():
    ask = said("can I change the size on my linen shirt order from L to M?", "change_address",
               identity_email="sam@example.com")  # fmt: skip
    state, actions = step(DialogueState(), ask, POLICY)
    state, actions = step(state, OrderFound(SHIRT), POLICY)
    (handoff,) = [a for a in actions if isinstance(a, HandOff)]
    assert handoff.reason == "order_change" and "size" in handoff.note
    state, actions = step(state, AgentsAvailable(online=True), POLICY)  # who can take it
    assert templates(actions) == ["change_address/item_change"]


def test_no_number_and_no_access_to_the_mailbox_brings_in_a_person():
    text = "I need help with an order but I don't have the number or access to that email anymore"
    state, actions = step(DialogueState(), said(text, "account_help"), POLICY)
    assert not any(isinstance(a, EmailOrderStatus) for a in actions)
    (handoff,) = [a for a in actions if isinstance(a, HandOff)]
    assert handoff.reason == "identity_not_proven" and state.escalated
    state, actions = step(state, AgentsAvailable(online=True), POLICY)  # who can take it
    assert "identity/no_access" in templates(actions)


def test_a_question_about_the_charge_is_answered_from_the_question_it_asks():
    state = asked_to_cancel_the_subscription()
    money = said("before i say yes - will i still be charged again?", "payment_issue",
                 "new_request", identity_email=NOAH)  # fmt: skip
    state, actions = answer(state, money)
    (reply,) = [a for a in actions if isinstance(a, Reply)]
    assert reply.template == "cancel_subscription/confirm" and reply.context["money"]
    assert state.awaiting == "confirm" and not any(isinstance(a, HandOff) for a in actions)
    state, actions = answer(state, said("ok yes cancel", "cancel_order", "affirm",
                                        identity_email=NOAH))  # fmt: skip
    assert CancelSubscription(COFFEE.id) in actions


def test_a_problem_told_as_a_statement_is_still_an_ask():
    # "I can't log in to my account, and where is my order?": both, in order
    msg = said("I can't log in to my account, and where is my order?", "track_order",
               asks=(("account_help", "statement"), ("track_order", "ask")))  # fmt: skip
    state, actions = step(DialogueState(), msg, POLICY)
    assert state.facts.started == ("account_help", "track_order")
    assert templates(actions)[0].startswith("account_help/")
    assert "identity/ask_both" in templates(actions)


def test_an_interrupted_question_is_open_again_once_the_other_request_is_answered():
    state = asked_to_cancel_the_subscription()
    other = said("wait, where is my last box?", "track_order", "new_request",
                 identity_email=NOAH)  # fmt: skip
    state, actions = step(state, other, POLICY)
    assert state.intent == "track_order"
    assert state.pending == ("back cancel_subscription confirm",)
    box = replace(SHIRT, email=NOAH)  # paid today, not shipped yet: answered, no hand-off
    state, actions = step(state, OrdersFound((box,)), POLICY)
    assert templates(actions) == ["track_order/not_shipped", "common/back_to"]
    assert state.intent == "cancel_subscription" and state.awaiting == "confirm"
    state, actions = answer(state, said("yes", None, "affirm", identity_email=NOAH))
    assert CancelSubscription(COFFEE.id) in actions


@pytest.mark.parametrize(
    ("text", "intent", "channel", "expected"),
    [
        ("What is your return policy?", "return_item", "chat", "within 30 days of delivery"),
        ("What is your return policy?", "return_item", "email", "within 30 days of delivery"),
        ("How long do refunds take?", "refund_status", "chat", "5 to 10 business days"),
        ("How long do refunds take?", "refund_status", "email", "5 to 10 business days"),
    ],
)
def test_a_general_return_or_refund_question_is_answered_before_the_order_is_asked_for(
    text, intent, channel, expected
):
    from chatserver.replies import Renderer

    _, actions = step(DialogueState(), said(text, intent), POLICY)
    (reply,) = [a for a in actions if isinstance(a, Reply)]
    assert reply.template == "identity/ask_both"
    rendered = Renderer(POLICY).render(reply, channel).text
    assert expected in rendered and "order number" in rendered
