"""Conversations as real customers write them: details up front, "never mind" in passing,
"no, keep it", an item named before the order is proven. Found by running the demo shop."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chatserver.dialogue.events import UserMessage
from chatserver.dialogue.slots import details_only, is_exit, yes_or_no
from tests.chatserver.harness import NOW, KeywordClassifier, World


@pytest.fixture
async def world(database_url):
    w = await World(database_url=database_url).start()
    yield w
    await w.aclose()


# (messages, words the last reply contains, words it must not contain)
CHATS = [
    # Everything in one message, the order number without "#" or "order" before it.
    (["hi, 1001 maria@example.com where is it"], ["USPS", "9400111899223456789017"], ["#"]),
    (["where's my refund for 1001 maria@example.com"], ["don't see a refund on order #1001"], []),
    # Details first, the question next: kept, and the question answered at once.
    (["1004 lukas@example.com"], ["What can I help you with?"], ["colleague"]),
    (["lukas@example.com", "where is my order 1004"], ["out for delivery", "DHL"], []),
    (["1004 lukas@example.com", "where is my order"], ["out for delivery", "DHL"], []),
    # "Never mind" with words around it.
    (["cancel my order", "oh never mind"], ["stopped there"], []),
    (["where is my order", "forget it, thanks"], ["stopped there"], []),
    (["cancel my order", "sam@example.com #1005", "actually never mind"], ["stopped there"], []),
    # Yes and no with words after them.
    (["cancel my order", "sam@example.com #1005", "no wait"], ["stays as it is"], []),
    (["cancel my order", "sam@example.com #1005", "yes please do it"], ["is cancelled"], []),
    (
        ["cancel my subscription", "noah@example.com 1007", "no, keep it"],
        ["continues as before"],
        [],
    ),
    # An item named before the order was proven is remembered.
    (
        ["I want to return the mugs", "1003", "priya@example.com"],
        ["Stoneware mug", "Shall I start the return?"],
        ["Which item"],
    ),
    (
        ["the pour over set arrived broken", "1003 priya@example.com"],
        ["Ceramic pour-over set", "replacement"],
        ["Which item"],
    ),
    # Naming the item asks the carrier, then the next question: understood, not "sorry".
    (
        ["I'd like to return something", "priya@example.com 1003", "the mug"],
        ["Stoneware mug", "Shall I start the return?"],
        ["didn't quite catch"],
    ),
]


# Asking for the proof: thanks only for an answer; subscriptions need any order of theirs.
IDENTITY_CHATS = [
    (["where is order 1001"], ["Which email address did you use for order #1001?"], ["Thanks"]),
    (["where is my order", "1001"], ["Thanks. Which email address"], []),
    (["cancel my order, I'm sam@example.com"], ["What's the order number?"], ["Thanks"]),
    (
        ["cancel my subscription"],
        ["your email address", "any order you've placed"],
        ["of your order"],
    ),
    (["cancel my subscription", "noah@example.com"], ["any order you've placed"], []),
    (
        ["where is my order", "maria@example.com 1004"],
        ["send both again", "email address you ordered with", "the order number"],
        [],
    ),
]


@pytest.mark.parametrize(("messages", "words", "absent"), IDENTITY_CHATS)
async def test_identity_questions(world, messages, words, absent):
    chat = await world.chat()
    for text in messages:
        reply = await chat.say(text)
    for word in words:
        assert word in reply
    for word in absent:
        assert word not in reply


async def test_a_wrong_email_and_an_unknown_order_read_the_same(world):
    replies = []
    for details in ("maria@example.com 1004", "maria@example.com 1099"):
        chat = await world.chat()
        await chat.say("where is my order")
        replies.append(await chat.say(details))
    assert replies[0] == replies[1]


# A new address, in the request or in the answer to the bot's question, goes to the agent
# as the customer wrote it, and is shown back as passed on; never before the order is proven.
ADDRESS_CHATS = [
    (
        ["please change the address of order #1005 to 12 Oak St, Denver CO 80203"],
        ["Which email address did you use for order #1005?"],
        None,
    ),
    (
        [
            "please change the address of order #1005 to 12 Oak St, Denver CO 80203",
            "sam@example.com",
        ],
        ['"please change the address of order #1005 to 12 Oak St, Denver CO 80203"'],
        "12 Oak St, Denver CO 80203",
    ),
    (
        ["I need to change my address", "sam@example.com 1005"],
        ["What's the new address?", "9 Lake View Dr"],
        None,
    ),
    (
        ["I need to change my address", "sam@example.com 1005", "12 Oak St, Denver CO 80203"],
        ["I've passed your new address", '"12 Oak St, Denver CO 80203"'],
        '"12 Oak St, Denver CO 80203"',
    ),
    (
        ["I need to change my address", "sam@example.com 1005", "the new one", "12 Oak St 80203"],
        ['"12 Oak St 80203"'],
        '"12 Oak St 80203"',
    ),
]


@pytest.mark.parametrize(("messages", "words", "in_summary"), ADDRESS_CHATS)
async def test_a_new_address_is_passed_on_as_written(world, messages, words, in_summary):
    chat = await world.chat()
    for text in messages:
        reply = await chat.say(text)
    for word in words:
        assert word in reply
    if in_summary is None:
        assert not chat.last.escalated and "Oak St" not in reply
    else:
        assert chat.last.escalation_reason == "address_change"
        assert in_summary in chat.last.summary


@pytest.mark.parametrize(("messages", "words", "absent"), CHATS)
async def test_realistic_chats(world, messages, words, absent):
    chat = await world.chat()
    for text in messages:
        reply = await chat.say(text)
    for word in words:
        assert word in reply
    for word in absent:
        assert word not in reply.replace("#1", "")  # order numbers are fine


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("never mind", True),
        ("oh never mind", True),
        ("Actually, never mind.", True),
        ("forget it, thanks", True),
        ("no worries, I'll sort it myself", True),
        ("ok nvm", True),
        ("never mind, where is my order?", False),
        ("I don't mind the wait, but where is the second parcel of my order", False),
        ("cancel my order", False),
    ],
)
def test_is_exit(text, expected):
    assert is_exit(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True),
        ("Yes please, do it", True),
        ("yeah go ahead", True),
        ("ok, go ahead", True),
        ("no, keep it", False),
        ("no wait", False),
        ("nope", False),
        ("sure, but not now", None),
        ("what does it cost?", None),
    ],
)
def test_yes_or_no(text, expected):
    assert yes_or_no(UserMessage(text, NOW)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1004 lukas@example.com", True),
        ("hi, my email is lukas@example.com and the order number is 1004", True),
        ("where is my order #1001?", False),
        ("lukas@example.com my scarf never came", False),
    ],
)
def test_details_only(text, expected):
    assert details_only(text) is expected


@pytest.mark.parametrize(
    ("name", "greeting"),
    [
        ("Maria Garcia", "Hi Maria,"),
        ("maria", "Hi there,"),  # Zendesk's name for a requester who gave none
        ("maria@example.com", "Hi there,"),
        ("  Anne-Marie O'Neil ", "Hi Anne-Marie,"),
        ("José", "Hi José,"),
        (None, "Hi there,"),
    ],
)
async def test_emails_greet_the_requester_by_first_name(world, name, greeting):
    chat = await world.chat("email", identity_email="maria@example.com", customer_name=name)
    reply = await chat.say("where is my order")
    assert reply.startswith(greeting + "\n") and "USPS" in reply


# After an answer nothing is active: "never mind" closes politely, it is no complaint.
IDLE = [
    (["cancel order #1001 maria@example.com", "actually never mind"], "If anything else"),
    (["where is order #1004 lukas@example.com", "nothing, thanks"], "If anything else"),
    (["hello", "oh never mind"], "If anything else"),
]


@pytest.mark.parametrize(("messages", "words"), IDLE)
async def test_never_mind_after_an_answer_is_no_complaint(messages, words):
    world = await World(classifier=ComplaintAboutNeverMind(KeywordClassifier())).start()
    try:
        chat = await world.chat()
        for text in messages:
            reply = await chat.say(text)
        assert words in reply and not chat.last.escalated
    finally:
        await world.aclose()


class ComplaintAboutNeverMind:
    """The shipped model's reading of "actually never mind": complaint, 0.40."""

    def __init__(self, inner):
        self.inner = inner
        self.version, self.intents = inner.version, inner.intents

    def parse(self, text, channel="chat", expecting=None):
        parse = self.inner.parse(text, channel)
        if "mind" in text or "nothing" in text:
            return replace(parse, intent="complaint", confidence=0.4, escalate=False,
                           ranking=(("complaint", 0.4),))  # fmt: skip
        return parse


# "Shall I check the tracking for you?" is a question: "yes" and "no" answer it.
NOT_DELIVERED = [
    (["I never got my dress", "1001 maria@example.com", "yes"], ["USPS", "in transit"], None),
    (["I never got my dress, order 1001 maria@example.com", "no"], ["couple of days"], None),
]


@pytest.mark.parametrize(("messages", "words", "reason"), NOT_DELIVERED)
async def test_missing_but_not_delivered_offers_the_tracking(world, messages, words, reason):
    chat = await world.chat()
    for text in messages[:-1]:
        await chat.say(text)
    assert chat.buttons == [("Yes", "/affirm"), ("No", "/deny")]
    reply = await chat.say(messages[-1])
    for word in words:
        assert word in reply
    assert chat.last.escalation_reason == reason
