"""Replay: past conversations through another model, turn-by-turn differences."""

from __future__ import annotations

import asyncio
import json

import pytest

from chatserver.learning.replay import (
    Conversation,
    ReplayError,
    Turn,
    export_sessions,
    load_conversations,
    replay,
)
from tests.chatserver.harness import KeywordClassifier, World

SCRIPT = ["hello", "where is my order #1001?", "thanks"]


class EverythingIsAGreeting(KeywordClassifier):
    """A different model: it has only one rule."""

    def __init__(self) -> None:
        super().__init__([(r".", "greeting")])


async def recorded(tmp_path):
    """A replay file written by ``export_sessions`` from a store the keyword model filled."""
    world = await World().start()
    try:
        chat = await world.chat(identity_email="ann@example.com")
        for line in SCRIPT:
            await chat.send(line)
        await world.chat()  # no customer message: not exported
        out = tmp_path / "sessions.jsonl"
        assert await export_sessions(world.storage, out) == 1
    finally:
        await world.aclose()
    return out


async def test_exported_sessions_use_the_replay_format(tmp_path):
    file = await recorded(tmp_path)
    [line] = file.read_text().splitlines()
    conv = json.loads(line)
    assert conv["channel"] == "chat" and len(conv["turns"]) == 3
    assert [t["text"] for t in conv["turns"]] == SCRIPT
    assert conv["turns"][1]["intent"] == "track_order" and conv["turns"][1]["expect"]
    assert load_conversations(file)[0].turns[0].text == "hello"


async def test_the_same_model_changes_nothing(tmp_path):
    conversations = load_conversations(await recorded(tmp_path))
    report = await replay(conversations, KeywordClassifier())
    assert report.summary() == {
        "conversations": 1,
        "turns": 3,
        "compared": 3,
        "changed": 0,
        "intent_changed": 0,
        "reply_changed": 0,
        "conversations_changed": 0,
    }


async def test_another_model_reports_the_changed_answers(tmp_path):
    conversations = load_conversations(await recorded(tmp_path))
    report = await replay(conversations, EverythingIsAGreeting())
    changed = {t.turn: t for t in report.changed}
    assert 2 in changed and 1 not in changed  # "hello" was a greeting already
    order = changed[2]
    assert (order.intent_before, order.intent_after) == ("track_order", "greeting")
    assert order.intent_changed and order.reply_changed
    assert (
        report.summary()["intent_changed"] >= 1 and report.summary()["conversations_changed"] == 1
    )
    assert (
        report.to_json()["turns"][1]["reply_before"] != report.to_json()["turns"][1]["reply_after"]
    )


async def test_a_baseline_model_replaces_the_recorded_answers():
    conv = Conversation((Turn("where is my order #1001?"), Turn("hello")))
    report = await replay([conv], EverythingIsAGreeting(), baseline=KeywordClassifier())
    assert [t.intent_changed for t in report.turns] == [True, False]
    same = await replay([conv], KeywordClassifier(), baseline=KeywordClassifier())
    assert same.summary()["changed"] == 0 and same.summary()["compared"] == 2


async def test_turns_without_history_are_run_but_not_compared():
    conv = Conversation((Turn("hello"),), channel="email", identity_email="ann@example.com")
    report = await replay([conv], KeywordClassifier())
    assert report.summary()["compared"] == 0 and report.turns[0].reply_after


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        '{"turns": "hello"}',
        '{"channel": "sms", "turns": []}',
        '{"turns": [{"text": 1}]}',
        '{"turns": [{"text": "hi", "expect": 3}]}',
    ],
)
def test_malformed_files_are_refused_with_their_line(tmp_path, line):
    file = tmp_path / "bad.jsonl"
    file.write_text('{"turns": [{"text": "hi"}]}\n' + line + "\n")
    with pytest.raises(ReplayError, match=r"bad.jsonl:2"):
        load_conversations(file)


async def test_the_command_without_a_model_sends_everything_to_a_person(tmp_path, capsys):
    from chatserver.cli import main

    file = await recorded(tmp_path)
    config = tmp_path / "config.yml"
    config.write_text(f"model_dir: {tmp_path / 'no-models'}\n")
    code = await asyncio.to_thread(main, ["replay", str(file), "--config", str(config), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["turns"] == 3
    assert report["summary"]["intent_changed"] == 3  # no model: nothing is understood
    # The first message hands over; the next ones hear that a colleague is coming.
    assert report["turns"][0]["escalated"]
    assert all("colleague" in t["reply_after"] for t in report["turns"])
    assert not any("look up an order" in t["reply_after"] for t in report["turns"])
    missing = tmp_path / "missing-model"
    code = await asyncio.to_thread(main, ["replay", str(file), "--model", str(missing)])
    assert code == 1


async def test_data_sessions_writes_a_replay_file_from_the_store(tmp_path, capsys):
    from chatserver.cli import main

    url = f"sqlite+aiosqlite:///{tmp_path}/chat.db"
    world = await World(database_url=url).start()
    try:
        chat = await world.chat("email", identity_email="ann@example.com")
        await chat.send("Hello,\n\nwhere is my order #1001?\n\nAnn")
    finally:
        await world.aclose()
    out = tmp_path / "past.jsonl"
    argv = ["data", "sessions", "--database-url", url, "--out", str(out)]
    assert await asyncio.to_thread(main, argv) == 0
    [conv] = load_conversations(out)
    assert conv.channel == "email" and conv.turns[0].intent == "track_order"
    report = await replay([conv], KeywordClassifier())
    assert report.summary()["changed"] == 0


async def test_the_command_runs_with_the_shops_policy_and_templates(tmp_path, capsys, model_dir):
    """``--config`` brings the shop's policy and template overrides, as the server runs."""
    import yaml

    from chatserver.cli import main
    from chatserver.settings import PROJECT_ROOT

    policy = yaml.safe_load((PROJECT_ROOT / "chatserver" / "policy.yml").read_text())
    policy["escalation"]["group"] = "Concierge"
    (tmp_path / "policy.yml").write_text(yaml.safe_dump(policy))
    (tmp_path / "templates" / "basics").mkdir(parents=True)
    (tmp_path / "templates" / "basics" / "greeting.j2").write_text(
        "{% block chat %}Howdy from the shop's own template!{% endblock %}"
    )
    config = tmp_path / "config.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "model_dir": str(model_dir),
                "policy_path": str(tmp_path / "policy.yml"),
                "templates_dir": str(tmp_path / "templates"),
            }
        )
    )
    file = tmp_path / "past.jsonl"
    file.write_text(json.dumps({"turns": [{"text": "/greeting"}, {"text": "/human_agent"}]}))
    argv = ["replay", str(file), "--config", str(config), "--json"]
    assert await asyncio.to_thread(main, argv) == 0
    greeting, handoff = json.loads(capsys.readouterr().out)["turns"]
    assert greeting["reply_after"] == "Howdy from the shop's own template!"
    assert "our Concierge team" in handoff["reply_after"]

    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump({"policy_path": str(tmp_path / "missing.yml")}))
    assert await asyncio.to_thread(main, ["replay", str(file), "--config", str(bad)]) == 2
    assert "missing.yml" in capsys.readouterr().err
