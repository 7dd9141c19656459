"""A server process killed with SIGKILL in the middle of a chat turn.

The real server (``python -m chatserver serve``) runs as a child process on PostgreSQL;
the outside APIs' sandboxes run in the test process, so the test holds the carrier's
answer open while the turn waits for it, kills the server, and starts it again. The
customer's message was stored before the turn began; the restarted server answers it,
once, and the customer sees the answer on resume.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from chatserver.storage import SqlStorage
from tests.chatserver.live import CASE_STUDY, TRACKING, Customer, text_of
from tests.chatserver.processes import ServerProcess, serve_sandboxes, write_config


class HoldFirst:
    """Wraps a sandbox: the first request is held open until released."""

    def __init__(self, sim) -> None:
        self.inner = sim.handle
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()
        self.used = False
        sim.handle = self

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.used:
            return await self.inner(request)
        self.used = True
        self.arrived.set()
        await self.release.wait()  # the server is killed meanwhile: nobody reads this
        return httpx.Response(503, text="gone")


@pytest.fixture
async def world(aiohttp_server, tmp_path, model_dir, pg_url):
    boxes, sandboxes = await serve_sandboxes(aiohttp_server)
    config = write_config(
        tmp_path / "config.yml", sandboxes, database_url=pg_url,
        model_dir=model_dir,
    )  # fmt: skip
    server = ServerProcess(config, tmp_path / "server.log")
    storage = SqlStorage(pg_url)
    try:
        yield boxes, server, storage
    finally:
        await server.stop()
        await storage.aclose()
        await boxes.aclose()


async def test_a_turn_cut_by_sigkill_is_answered_once_after_restart(world):
    boxes, server, storage = world
    hold = HoldFirst(boxes.usps)
    await server.start()
    maria = Customer(server.url)
    session_id = await maria.open()
    assert "order number" in text_of(await maria.turn(CASE_STUDY))
    await maria.turn("maria@example.com")
    await maria.send("#1001")
    await asyncio.wait_for(hold.arrived.wait(), 30)  # the turn waits for USPS
    await server.kill()
    hold.release.set()
    await maria.aclose()

    await storage.start()
    before = await storage.messages_since(session_id)
    assert before[-1].sender == "customer" and before[-1].text == "#1001"  # stored, unanswered

    await server.start()
    back = Customer(server.url)
    try:  # the customer comes back: the answer is in the history, or comes live
        assert await back.open(session_id, before[-1].id) == session_id
        history = await back.expect("session_history")
        answers = [m for m in history["messages"] if m["sender"] == "bot"]
        if not answers:  # the restarted server is still answering it
            answers = [await back.expect("bot_uttered")]
        assert TRACKING in answers[0]["text"]
        # Turns of a session take its lock in turn: once this one is answered, the
        # recovered turn is long done, and it was answered exactly once.
        await back.turn("thanks!")
    finally:
        await back.aclose()
    after = await storage.messages_since(session_id, before[-1].id)
    assert [m.sender for m in after] == ["bot", "customer", "bot"], after
    assert TRACKING in after[0].text
