"""Metric labels come from the intent catalogue only (issue 12, finding 5).

Before: ``/anything`` in a chat message was taken as a payload naming the intent
"anything", which became a new ``chatbot_intents_total`` label, never freed: 15 messages
grew ``/metrics`` from 5 KB to 65 KB.
"""

from __future__ import annotations

import aiohttp

from chatserver.ops.metrics import Metrics
from chatserver.service.classifier import understand
from nlu.catalogue import INTENTS
from tests.chatserver.harness import KeywordClassifier
from tests.chatserver.live import Customer, start_server


def test_unknown_payload_intents_are_read_as_text():
    understood = understand('/anything{"x": 1}', "chat", KeywordClassifier())
    assert understood.classified and understood.intent != "anything"
    human = understand("/human_agent", "chat", KeywordClassifier())
    assert (human.intent, human.classified) == ("human_agent", False)
    choice = understand('/choose{"order": "#1006"}', "chat", KeywordClassifier())
    assert (choice.intent, choice.payload) == ("choose", {"order": "#1006"})


def test_intent_labels_outside_the_catalogue_count_as_other():
    metrics = Metrics()
    for name in ("anything", "x" * 500, "track_order", None):
        metrics.intents.inc(intent=name or "none")
    assert set(dict(k)["intent"] for k in metrics.intents.values) == {
        "other",
        "track_order",
        "none",
    }
    from chatserver.ops.metrics import INTENT_LABELS

    assert set(INTENTS) <= INTENT_LABELS


async def test_slash_messages_add_no_metric_series(aiohttp_server, tmp_path):
    server = await start_server(aiohttp_server, tmp_path)
    customer = Customer(str(server.make_url("/")))
    try:
        await customer.open()
        await customer.turn("hello")
        async with aiohttp.ClientSession() as http:
            async with http.get(server.make_url("/metrics")) as resp:
                before = await resp.text()
            for n in range(15):  # "/anything", "/anythingb", ...: a new intent name each
                await customer.turn("/anything" + chr(ord("a") + n) * (n + 1) + "x" * 200)
            async with http.get(server.make_url("/metrics")) as resp:
                after = await resp.text()
    finally:
        await customer.aclose()
    assert "anything" not in after
    labels = {
        line.split('intent="')[1].split('"')[0]
        for line in after.splitlines()
        if line.startswith("chatbot_intents_total{")
    }
    assert labels <= {*INTENTS, "affirm", "deny", "choose", "none", "other"}
    assert len(after) < len(before) + 1000  # counts changed, no new series
