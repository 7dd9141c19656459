"""Collect and label: the prediction log, the review queue, export and import."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from chatserver.learning.training_data import merge
from chatserver.storage.predictions import PredictionLog
from nlu.dataset import load_yaml_dir
from tests.chatserver.harness import KeywordClassifier, World


class VersionedClassifier(KeywordClassifier):
    version = "kw-7"


@pytest.fixture
async def world():
    w = await World(classifier=VersionedClassifier()).start()
    yield w
    await w.aclose()


def log_of(world: World) -> PredictionLog:
    return world.storage.predictions


async def test_every_classified_message_is_logged_masked_with_its_model(world, caplog):
    chat = await world.chat()
    caplog.set_level(logging.INFO, logger="chatserver.learning.collector")
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
    await world.service.agents.take_over(chat.session_id, "alex")
    await chat.send("still there?")
    silent = await log_of(world).get(chat.last.customer_message.id)
    assert silent.outcome == "human" and silent.escalate  # the low-confidence guess


async def test_email_turns_are_logged_with_their_channel(world):
    mail = await world.chat("email", identity_email="ann@example.com")
    await mail.send("Hello,\n\nI want to return the dress from order #1001.\n\nAnn")
    prediction = await log_of(world).get(mail.last.customer_message.id)
    assert prediction.channel == "email" and prediction.intent == "return_item"
    assert "#1001" not in prediction.text


async def test_button_payloads_are_logged_as_not_classified(world):
    chat = await world.chat()
    await chat.send("/greeting")
    prediction = await log_of(world).get(chat.last.customer_message.id)
    assert (prediction.intent, prediction.confidence) == ("greeting", 1.0)
    assert not prediction.classified and prediction.model_version == "payload"
    assert prediction.label is None  # not training data until an agent labels it


async def test_every_turn_is_logged_even_without_a_collector(world):
    world.service.collector, collector = None, world.service.collector
    chat = await world.chat()
    await chat.send("hello, order 1001 here")
    world.service.collector = collector
    prediction = await log_of(world).get(chat.last.customer_message.id)
    assert prediction.text == "hello, order <order_number> here"
    assert prediction.intent == "greeting" and prediction.outcome == "answered"


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
    chat = await world.chat()
    # stored outside a turn (as before the log existed): no prediction row
    message = await world.storage.add_message(
        chat.session_id, "customer", "hello, order 1001 here", at=world.now
    )
    assert await log_of(world).get(message.id) is None
    labelled = await world.service.label(message.id, "greeting", "alex")
    assert labelled.label == "greeting"
    prediction = await log_of(world).get(message.id)
    assert prediction.text == "hello, order <order_number> here"
    assert (prediction.label, prediction.reviewed) == ("greeting", "pending")


async def test_only_customer_messages_take_a_label(world):
    chat = await world.chat()
    await chat.send("hello")
    [reply] = chat.last.replies
    assert await world.service.label(reply.id, "greeting", "alex") is None
    assert await world.service.label(reply.id + 1000, "greeting", "alex") is None
    assert await log_of(world).get(reply.id) is None


async def test_closing_marks_resolved_without_a_human(world):
    bot_only, escalated = await world.chat(), await world.chat()
    await bot_only.send("hello")
    await escalated.send("I want a human")
    for chat in (bot_only, escalated):
        await world.service.agents.close(chat.session_id)
    store = log_of(world)
    assert (await store.get(bot_only.last.customer_message.id)).resolved is True
    assert (await store.get(escalated.last.customer_message.id)).resolved is False


async def test_an_agent_reply_means_not_resolved_without_a_human(world):
    chat = await world.chat()
    await chat.send("hello")
    await world.service.agents.take_over(chat.session_id, "alex")
    await world.service.agents.agent_message(chat.session_id, "alex", "Hi, Alex here")
    await world.service.agents.hand_back(chat.session_id)
    await world.service.agents.close(chat.session_id)
    assert (await log_of(world).get(chat.results[0].customer_message.id)).resolved is False


# --- export and import ------------------------------------------------------------------


async def labelled_world(tmp_path) -> str:
    """A file store with four labelled messages, two of them accepted in review."""
    url = f"sqlite+aiosqlite:///{tmp_path}/chat.db"
    world = await World(classifier=VersionedClassifier(), database_url=url).start()
    try:
        chat = await world.chat()
        labels = [
            ("my parcel from order #1001 is late", "track_order", "accepted"),
            ("it came broken, I'm ann@example.com", "damaged_item", "accepted"),
            ("where is my order", "track_order", "accepted"),  # already in train
            ("can you call me on (555) 123-4567", "human_agent", "pending"),
        ]
        for text, intent, state in labels:
            await chat.send(text)
            message_id = chat.last.customer_message.id
            await world.service.label(message_id, intent, "alex")
            if state != "pending":
                await log_of(world).review([message_id], state)
        rejected = await world.chat()
        await rejected.send("hello")
        await world.service.label(rejected.last.customer_message.id, "complaint", "alex")
        await log_of(world).review([rejected.last.customer_message.id], "rejected")
    finally:
        await world.aclose()
    return url


def data_dirs(tmp_path):
    train, heldout = tmp_path / "train", tmp_path / "heldout"
    train.mkdir()
    heldout.mkdir()
    (train / "track_order.yml").write_text(
        "# comment kept\nintent: track_order\nexamples:\n  - where is my order\n"
    )
    (heldout / "damaged_item.yml").write_text(
        "intent: damaged_item\nexamples:\n  - 'It came broken, I''m <EMAIL>'\n"
    )
    return train, heldout


async def cli(*argv: str) -> int:
    from chatserver.cli import main

    return await asyncio.to_thread(main, list(argv))


async def test_export_writes_reviewed_masked_examples_per_intent(tmp_path, capsys):
    url = await labelled_world(tmp_path)
    out = tmp_path / "export"
    assert await cli("data", "export", "--database-url", url, "--out", str(out)) == 0
    examples = load_yaml_dir(out)
    assert sorted((e.intent, e.text) for e in examples) == [
        ("damaged_item", "it came broken, I'm <email>"),
        ("track_order", "my parcel from order <order_number> is late"),
        ("track_order", "where is my order"),
    ]
    everything = tmp_path / "all.jsonl"
    code = await cli(
        "data", "export", "--database-url", url, "--status", "all", "--out", str(everything)
    )
    assert code == 0
    lines = [json.loads(line) for line in everything.read_text().splitlines()]
    assert {
        "text": "can you call me on <phone>",
        "intent": "human_agent",
        "channel": "chat",
    } in lines
    assert len(lines) == 4  # the rejected label is never exported
    assert "555" not in everything.read_text() and "ann@" not in everything.read_text()


async def test_export_import_round_trip_skips_what_train_or_heldout_hold(tmp_path, capsys):
    url = await labelled_world(tmp_path)
    train, heldout = data_dirs(tmp_path)
    out = tmp_path / "export"
    assert await cli("data", "export", "--database-url", url, "--out", str(out)) == 0
    capsys.readouterr()
    args = ("data", "import", str(out), "--into", str(train), "--heldout", str(heldout))
    assert await cli(*args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {
        "added": 1,
        "skipped": 2,
        "skipped_in_train": 1,
        "skipped_in_heldout": 1,
        "skipped_repeated": 0,
        "added_by_intent": {"track_order": 1},
    }
    text = (train / "track_order.yml").read_text()
    assert text.startswith("# comment kept\n")
    assert [e.text for e in load_yaml_dir(train)] == [
        "where is my order",
        "my parcel from order <order_number> is late",
    ]
    assert not (train / "damaged_item.yml").exists()  # held out: never trained on
    assert len(load_yaml_dir(heldout)) == 1  # nothing is added to the held-out set
    assert await cli(*args) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 0  # importing twice adds nothing


def test_merge_creates_new_intent_files_and_keeps_emails(tmp_path):
    train, heldout = data_dirs(tmp_path)
    source = tmp_path / "new.jsonl"
    rows = [
        {"text": "Hello,\n\nplease cancel order <order_number>.\n\nAnn", "intent": "cancel_order"},
        {"text": "WHERE  is my order", "intent": "track_order"},  # same once normalised
        {"text": "cancel it please", "intent": "cancel_order"},
        {"text": "Cancel it   please", "intent": "cancel_order"},
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = merge(source, train, heldout)
    assert (sum(report.added.values()), report.in_train, report.repeated) == (2, 1, 1)
    cancel = [e for e in load_yaml_dir(train) if e.intent == "cancel_order"]
    assert [(e.text, e.channel) for e in cancel] == [
        ("Hello,\n\nplease cancel order <order_number>.\n\nAnn", "email"),
        ("cancel it please", "chat"),
    ]


def test_intent_names_must_name_files(tmp_path):
    train, heldout = data_dirs(tmp_path)
    source = tmp_path / "bad.jsonl"
    source.write_text(json.dumps({"text": "x", "intent": "../evil"}) + "\n")
    with pytest.raises(ValueError):
        merge(source, train, heldout)
