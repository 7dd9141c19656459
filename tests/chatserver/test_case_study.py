"""The issue's contract: the case study in chat and by email, end to end through the core."""

from __future__ import annotations

import pytest

from tests.chatserver.harness import World

FIRST = (
    "Hi, I bought a dress from you last week and I can see the charge on my card, "
    "but I haven't received any information since. Has it shipped?"
)


@pytest.fixture
async def world(database_url):
    w = await World(database_url=database_url).start()
    yield w
    await w.aclose()


@pytest.mark.parametrize(
    "answers",
    [
        ["maria@example.com #1001"],
        ["#1001 maria@example.com"],
        ["maria@example.com", "#1001"],
        ["1001", "maria@example.com"],
        ["my email is maria@example.com", "order 1001"],
    ],
    ids=["both", "both-reversed", "email-then-number", "bare-number-then-email", "sentences"],
)
async def test_chat_case_study_asks_for_proof_then_answers_with_tracking(world, answers):
    chat = await world.chat()
    first = await chat.say(FIRST)
    assert "email address" in first and "order number" in first
    assert "USPS" not in first
    for answer in answers[:-1]:
        follow_up = await chat.say(answer)
        assert "USPS" not in follow_up  # an email or a number alone reveals nothing
    reply = await chat.say(answers[-1])
    assert "#1001" in reply
    assert "USPS" in reply
    assert "9400111899223456789017" in reply
    assert "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223456789017" in reply
    assert "in transit" in reply
    assert "Expected delivery: Friday, November 27" in reply
    assert not chat.last.escalated
    assert "bot_answered" in chat.last.tags


async def test_email_case_study_is_answered_directly_from_the_latest_order(world):
    chat = await world.chat("email", identity_email="maria@example.com")
    reply = await chat.say(FIRST)
    assert reply.startswith("Hi there,")
    assert "USPS" in reply and "9400111899223456789017" in reply
    assert "Friday, November 27" in reply
    assert "The Maison Demo team" in reply
    assert len(chat.last.replies) == 1
    assert not chat.last.escalated


async def test_replies_are_plain_text_not_html_escaped(world):
    """The widget and Zendesk show replies as text: a link's ``&`` must stay ``&``."""
    chat = await world.chat("email", identity_email="priya@example.com")
    reply = await chat.say("where is my order?")
    assert "&tracknum=1Z999AA10123456784" in reply
    assert "&amp;" not in reply and "&#39;" not in reply
