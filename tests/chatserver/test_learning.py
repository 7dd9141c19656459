"""Collect and label: the prediction log, the review queue, export and import."""

from __future__ import annotations

import logging

import pytest

from chatserver.storage.predictions import PredictionStore
from tests.chatserver.harness import KeywordClassifier, World


class VersionedClassifier(KeywordClassifier):
    version = "kw-7"


@pytest.fixture
async def world():
    w = await World(classifier=VersionedClassifier()).start()
    yield w
    await w.aclose()


def log_of(world: World) -> PredictionStore:
    return PredictionStore(world.storage.engine)


async def test_every_classified_message_is_logged_masked_with_its_model(world, caplog):
    chat = await world.chat()
    caplog.set_level(logging.INFO, logger="chatserver.learning")
    await chat.send("where is my order #1001? I'm ann@example.com")
    prediction = await log_of(world).get(chat.last.customer_message.id)
    assert prediction is not None
    assert prediction.text == "where is my order <order_number>? I'm <email>"
    assert (prediction.intent, prediction.confidence) == ("track_order", 0.9)
    assert prediction.ranking == (("track_order", 0.9),)
    assert prediction.model_version == "kw-7"
    assert prediction.channel == "chat" and not prediction.escalate
    assert prediction.outcome in ("answered", "escalated")
    assert prediction.label is None and prediction.reviewed is None
    line = next(r.getMessage() for r in caplog.records if "prediction" in r.getMessage())
    assert "model=kw-7" in line and "intent=track_order" in line
    assert "ann@example.com" not in caplog.text


async def test_outcomes_answered_escalated_and_human(world):
    chat = await world.chat()
    await chat.send("hello")
    await chat.send("I want to talk to a person")
    greeting, person = [await log_of(world).get(r.customer_message.id) for r in chat.results]
    assert greeting.outcome == "answered" and greeting.escalation_reason is None
    assert person.outcome == "escalated" and person.escalation_reason
    await world.service.take_over(chat.session_id, "alex")
    await chat.send("still there?")
    silent = await log_of(world).get(chat.last.customer_message.id)
    assert silent.outcome == "human" and silent.escalate  # the low-confidence guess


async def test_email_turns_are_logged_with_their_channel(world):
    mail = await world.chat("email", identity_email="ann@example.com")
    await mail.send("Hello,\n\nI want to return the dress from order #1001.\n\nAnn")
    prediction = await log_of(world).get(mail.last.customer_message.id)
    assert prediction.channel == "email" and prediction.intent == "return_item"
    assert "#1001" not in prediction.text


async def test_button_payloads_are_not_training_data(world):
    chat = await world.chat()
    await chat.send("/greeting")
    assert await log_of(world).get(chat.last.customer_message.id) is None


async def test_an_agents_label_lands_on_the_prediction_pending_review(world):
    chat = await world.chat()
    await chat.send("my parcel is late")  # the keyword model has no rule for it
    message = chat.last.customer_message
    stored = await world.service.label(message.id, "track_order", "alex")
    assert stored.label == "track_order"
    prediction = await log_of(world).get(message.id)
    assert (prediction.label, prediction.reviewed, prediction.labelled_by) == (
        "track_order", "pending", "alex",
    )  # fmt: skip
    queue = await log_of(world).labelled(["pending"])
    assert [p.message_id for p in queue] == [message.id]
    assert await log_of(world).review([message.id], "accepted") == 1
    assert [p.label for p in await log_of(world).labelled(["accepted"])] == ["track_order"]


async def test_a_label_on_a_message_never_logged_creates_its_prediction(world):
    world.service.collector, collector = None, world.service.collector
    chat = await world.chat()
    await chat.send("hello, order 1001 here")
    world.service.collector = collector
    message = chat.last.customer_message
    assert await log_of(world).get(message.id) is None
    await world.service.label(message.id, "greeting", "alex")
    prediction = await log_of(world).get(message.id)
    assert prediction.text == "hello, order <order_number> here"
    assert (prediction.label, prediction.reviewed) == ("greeting", "pending")


async def test_closing_marks_resolved_without_a_human(world):
    bot_only, escalated = await world.chat(), await world.chat()
    await bot_only.send("hello")
    await escalated.send("I want a human")
    for chat in (bot_only, escalated):
        await world.service.close(chat.session_id)
    store = log_of(world)
    assert (await store.get(bot_only.last.customer_message.id)).resolved is True
    assert (await store.get(escalated.last.customer_message.id)).resolved is False


async def test_an_agent_reply_means_not_resolved_without_a_human(world):
    chat = await world.chat()
    await chat.send("hello")
    await world.service.take_over(chat.session_id, "alex")
    await world.service.agent_message(chat.session_id, "alex", "Hi, Alex here")
    await world.service.hand_back(chat.session_id)
    await world.service.close(chat.session_id)
    assert (await log_of(world).get(chat.results[0].customer_message.id)).resolved is False
