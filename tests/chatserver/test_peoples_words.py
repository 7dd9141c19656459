"""The console and dashboard in people's words: intents and reasons named as the shop
would say them (and as it renames them), confidence in words, whole chart labels on
whole-number axes, a label queue without answers to the bot's own questions, a
conversation listed under the proven customer only, and a reason only while it holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from chatserver.labels import INTENT_LABELS, REASON_LABELS, Labels, confidence_words
from chatserver.policy import DEFAULT_POLICY_PATH, parse_policy
from chatserver.web.charts import bar_chart, count_ticks, line_chart
from chatserver.web.insight import compute_stats
from nlu.catalogue import INTENTS
from tests.chatserver.harness import NOW, World
from tests.chatserver.test_insight import http, server, sign_in  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2] / "chatserver"


def _reasons_in_code() -> set[str]:
    """Every hand-off reason the scripts and the engine can give (read from the source)."""
    found = set()
    for path in (ROOT / "scripts", ROOT / "dialogue", ROOT / "runner.py"):
        for file in [path] if path.is_file() else path.glob("*.py"):
            text = file.read_text()
            found |= set(re.findall(r'escalate\(\s*state,\s*policy,\s*"([a-z_]+)"', text))
            found |= set(re.findall(r'HandOff\(\s*"([a-z_]+)"', text))
            for pair in re.findall(r'reason = "([a-z_]+)"(?: if .* else "([a-z_]+)")?', text):
                found |= set(pair) - {""}
            found |= set(re.findall(r'^\s+"([a-z_]+)",$', text, re.M)) & {
                "cancel_requested", "address_change", "not_shipped_late", "no_orders_found",
            }  # fmt: skip
    for intent in ("missing_item", "damaged_item"):
        found |= {f"{intent}_{remedy}" for remedy in ("reship", "refund", "escalate")}
    return found


def test_every_intent_and_every_hand_off_reason_has_words():
    assert set(INTENTS) <= set(INTENT_LABELS)
    missing = _reasons_in_code() - set(REASON_LABELS)
    assert not missing, f"reasons without words: {missing}"
    labels = Labels()
    assert labels.intent("track_order") == "Where is my order"
    assert labels.reason("damaged_item_reship") == "Item damaged: send a new one"
    assert labels.intent("gift_wrap") == "Gift wrap"  # not in the catalogue: still words


def test_a_shop_renames_intents_and_reasons_in_its_policy():
    raw = yaml.safe_load(DEFAULT_POLICY_PATH.read_text())
    raw["labels"] = {
        "intents": {"track_order": "Order status"},
        "reasons": {"late_shipment": "Late!"},
    }
    labels = parse_policy(raw).labels
    assert labels.intent("track_order") == "Order status"
    assert labels.reason("late_shipment") == "Late!"
    assert labels.intent("return_item") == INTENT_LABELS["return_item"]


@pytest.mark.parametrize(
    ("confidence", "words"),
    [(0.97, "sure"), (0.7, "fairly sure"), (0.4, "unsure"), (0.1, "guessing")],
)
def test_confidence_in_words(confidence, words):
    assert confidence_words(confidence) == words


def test_counts_get_whole_number_axes_and_labels_are_whole():
    assert count_ticks(1) == [0, 1]
    assert count_ticks(3) == [0, 1, 2, 3]
    assert count_ticks(24) == [0, 5, 10, 15, 20, 25]
    assert count_ticks(47) == [0, 10, 20, 30, 40, 50]
    long = "Wants the delivery address changed"
    svg = bar_chart([(long, 1), ("The customer asked for a person", 2)], "Why")
    assert f">{long}</text>" in svg  # whole, not clipped to 24 characters
    assert "rotate" not in svg and ">0.5<" not in svg
    # the label column is wide enough for the longest label (about 7 px a character)
    left = int(re.search(r'<rect x="(\d+)"', svg)[1])
    assert left >= len(long) * 6.5
    line = line_chart(["2026-11-24", "2026-11-25"], {"Chat": [1, 2]}, "Per day")
    assert ">0.5<" not in line and ">1.0<" not in line


async def test_the_label_queue_skips_answers_to_the_bots_own_questions():
    world = await World().start()
    try:
        chat = await world.chat()
        await chat.say("where is my order")  # the bot asks for the email and the number
        await chat.say("maria@example.com")  # details, not a message to label
        await chat.say("1001")
        await chat.say("my cat sat on the keyboard")  # no rule matches: worth a look
        stats = await compute_stats(world.service.storage.stats, now=NOW, days=1)
    finally:
        await world.aclose()
    assert [p.text for p in stats.to_label] == ["my cat sat on the keyboard"]


async def test_a_conversation_is_listed_under_the_proven_customer_only():
    world = await World().start()
    try:
        snooper = await world.chat()
        await snooper.say("where is my order")
        await snooper.say("maria@example.com")  # typed, not proven
        typed = await world.service.summary(await world.service.get_session(snooper.session_id))
        await snooper.say("1002")  # james's order: no match
        maria = await world.chat()
        await maria.say("where is my order")
        await maria.say("maria@example.com 1001")  # the order matches: proven
        rows = {r.session_id: r for r in await world.service.list_conversations()}
    finally:
        await world.aclose()
    assert typed.customer_email is None and typed.claimed_email == "maria@example.com"
    assert rows[snooper.session_id].customer_email is None  # still a visitor
    assert rows[maria.session_id].customer_email == "maria@example.com"
    assert rows[maria.session_id].claimed_email is None


async def test_the_reason_goes_when_the_conversation_is_handed_back_or_closed():
    world = await World().start()
    try:
        chat = await world.chat()
        await chat.say("i want a person")
        service = world.service
        row = await service.summary(await service.get_session(chat.session_id))
        assert row.escalation_reason == "customer_asked" and row.status == "waiting"
        # the bot's summary for the agent, in words too
        assert row.summary.startswith("Why a person: The customer asked for a person.")
        assert "They seem to want: Asked for a person (sure)" in row.summary
        assert "human_agent" not in row.summary and "1.00" not in row.summary
        await service.agents.take_over(chat.session_id, "alex")
        row = await service.summary(await service.get_session(chat.session_id))
        assert row.escalation_reason == "customer_asked"  # still why alex is there
        change = await service.agents.hand_back(chat.session_id)
        assert (await service.summary(change.session)).escalation_reason is None
        stats = await compute_stats(service.storage.stats, now=NOW, days=1)
        assert stats.escalation_reasons == {"customer_asked": 1}  # the figures keep it
    finally:
        await world.aclose()


async def test_the_dashboard_speaks_in_words(server, http):  # noqa: F811
    from chatserver.keys import MODEL, SERVICE
    from chatserver.service import InboundMessage
    from tests.chatserver.test_insight import Unsure

    service = server.app[SERVICE]
    session = await service.open_session("chat")
    server.app[MODEL].swap(Unsure(server.app[MODEL].current))
    await service.handle(InboundMessage(session.id, "hello there"))
    await sign_in(http, server)
    async with http.get(server.make_url("/agent/dashboard")) as resp:
        page = await resp.text()
    shown = re.sub(r"<[^>]+>", " ", re.sub(r'value="[^"]*"', "", page))  # text, not values
    assert "Greeting" in shown and "unsure" in shown
    assert "Where is my order" in shown  # the select lists intents by their words
    assert "track_order" not in shown and "low_confidence" not in shown
    assert "0.30" not in shown
