"""The case study with the trained intent model, when one is installed."""

from __future__ import annotations

from tests.chatserver.harness import World
from tests.chatserver.test_case_study import FIRST


async def test_case_study_with_the_real_model(installed_nlu):
    world = await World(classifier=installed_nlu).start()
    try:
        chat = await world.chat()
        first = await chat.say(FIRST)
        assert chat.last.intent == "track_order", first
        reply = await chat.say("maria@example.com #1001")
        assert "USPS" in reply and "9400111899223456789017" in reply
    finally:
        await world.aclose()
