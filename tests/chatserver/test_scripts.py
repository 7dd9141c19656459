"""Every script outcome against the demo shop, by email (the requester is the identity)."""

from __future__ import annotations

import pytest

from tests.chatserver.harness import World


@pytest.fixture
async def world(database_url):
    w = await World(database_url=database_url).start()
    yield w
    await w.aclose()


# (customer, messages, words the last reply contains, escalation reason or None)
CASES = [
    ("maria", ["has my order shipped?"], ["USPS", "in transit", "Friday, November 27"], None),
    ("james", ["where is my order"], ["running late", "FedEx", "772118345670"], "late_shipment"),
    ("priya", ["where is my order"], ["delivered", "UPS", "1Z999AA10123456784"], None),
    ("lukas", ["where is my order"], ["out for delivery", "DHL", "4982173652"], None),
    ("sam", ["has it shipped"], ["hasn't shipped yet", "should leave us by"], None),
    (
        "ethan",
        ["where is my order"],
        ["hasn't shipped yet", "should have left us"],
        "not_shipped_late",
    ),
    (
        "olivia",
        ["where is my order"],
        ["2 parcels", "Soy candle set", "Cotton throw blanket"],
        None,
    ),
    ("ava", ["track my order"], ["hasn't scanned the parcel yet", "9400111899223998877661"], None),
    ("liam", ["where is my order"], ["couldn't find any orders"], "no_orders_found"),
    ("priya", ["the mug arrived broken"], ["Stoneware mug", "replacement"], "damaged_item_reship"),
    ("maria", ["I never got my dress"], ["isn't marked as delivered yet"], None),
    ("lukas", ["my scarf is missing"], ["isn't marked as delivered yet"], None),
    ("emma", ["I want to return my lamp"], ["outside our 30-day return window"], None),
    (
        "priya",
        ["I'd like to return something", "the stoneware mug", "yes"],
        ["started the return"],
        None,
    ),
    (
        "priya",
        ["I'd like to return something", "Stoneware mug", "no"],
        ["haven't started a return"],
        None,
    ),
    ("sam", ["please cancel my order", "yes"], ["#1005 is now cancelled"], None),
    ("sam", ["please cancel my order", "no"], ["stays as it is"], None),
    ("maria", ["please cancel my order"], ["already shipped", "return it within 30 days"], None),
    ("noah", ["cancel my subscription", "yes"], ["Coffee beans", "cancelled"], None),
    ("maria", ["cancel my subscription"], ["don't see an active subscription"], None),
    ("maria", ["where is my refund"], ["don't see a refund"], None),
    ("sam", ["I need to change the address"], ["9 Lake View Dr", "full new address"], None),
    (
        "sam",
        ["I need to change the address", "12 Oak St, Denver CO 80203"],
        ['exactly as you wrote it: "12 Oak St, Denver CO 80203"'],
        "address_change",
    ),
    (
        "sam",
        ["please change the address of #1005 to 12 Oak St, Denver CO 80203"],
        ['"please change the address of #1005 to 12 Oak St, Denver CO 80203"'],
        "address_change",
    ),
    ("maria", ["I need to change the address"], ["already shipped"], None),
    ("maria", ["do you ship to canada"], ["Canada", "help center"], None),  # the article
    ("maria", ["I was charged twice"], ["payment"], "payment_issue"),
    ("maria", ["I need an invoice"], ["invoice", "account/orders"], None),
    ("maria", ["I forgot my password"], ["reset your password"], None),
    ("maria", ["I want to talk to a person"], ["passed your message"], "customer_asked"),
    ("maria", ["this is unacceptable"], ["let you down"], "complaint"),
    ("maria", ["what's the weather on mars"], ["passed it to our"], "out_of_scope"),
    ("maria", ["hello"], ["How can we help"], None),
    ("maria", ["thanks"], ["welcome"], None),
]


@pytest.mark.parametrize(("who", "messages", "words", "reason"), CASES)
async def test_script_outcome_by_email(world, who, messages, words, reason):
    chat = await world.chat("email", identity_email=f"{who}@example.com")
    for text in messages:
        reply = await chat.say(text)
    for word in words:
        assert word in reply
    assert reply.startswith("Hi there,") and "The Maison Demo team" in reply
    assert chat.last.escalated == (reason is not None)
    assert chat.last.escalation_reason == reason
    if reason:
        assert chat.last.summary and "bot_escalated" in chat.last.tags


async def test_damaged_item_in_chat_asks_which_item_with_quick_replies(world):
    chat = await world.chat(identity_email="priya@example.com")
    await chat.say("my order arrived damaged")
    assert [t for t, _ in chat.buttons] == ["Ceramic pour-over set", "Stoneware mug"]
    payload = chat.buttons[1][1]
    assert payload.startswith('/choose{"item":')
    reply = await chat.say(payload)
    assert "Stoneware mug" in reply and chat.last.escalation_reason == "damaged_item_reship"


async def test_cancel_in_chat_confirms_with_yes_no_buttons(world):
    chat = await world.chat(identity_email="sam@example.com")
    await chat.say("cancel my order please")
    assert chat.buttons == [("Yes", "/affirm"), ("No", "/deny")]
    assert "cancelled" in await chat.say("/affirm")
    assert world.sandboxes.shop is not None


async def test_delivered_parcel_offers_help_if_not_received(world):
    chat = await world.chat(identity_email="priya@example.com")
    await chat.say("where is my order")
    assert ("I didn't get it", "/missing_item") in chat.buttons
