"""A server process killed with SIGKILL in the middle of a chat turn.

The real server (``python -m chatserver serve``) runs as a child process on PostgreSQL;
the outside APIs' sandboxes run in the test process, so the test holds the carrier's
answer open while the turn waits for it, kills the server, and starts it again. The
customer's message was stored before the turn began; the restarted server answers it,
once, and the customer sees the answer on resume.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import yaml
from aiohttp import web

from chatserver.storage import SqlStorage
from integrations.sandbox.app import build_sandboxes, mount_sandboxes
from tests.chatserver.live import CASE_STUDY, TRACKING, Customer, free_port, text_of
from tests.chatserver.test_zendesk_restart import Server


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
    port = free_port()
    boxes = build_sandboxes()
    sandbox_app = web.Application()
    mount_sandboxes(sandbox_app, boxes)
    sandbox = await aiohttp_server(sandbox_app)
    base = str(sandbox.make_url("/sandbox")).rstrip("/")
    config = {
        "database_url": pg_url,
        "data_dir": str(tmp_path),
        "model_dir": str(model_dir),
        **{
            api: {"base_url": f"{base}/{api}"}
            for api in ("shopify", "zendesk", "usps", "fedex", "ups", "dhl")
        },
    }
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config))
    server = Server(port, path, tmp_path / "server.log")
    storage = SqlStorage(pg_url)
    try:
        yield boxes, server, storage
    finally:
        server.stop()
        await storage.aclose()
        await boxes.aclose()


async def test_a_turn_cut_by_sigkill_is_answered_once_after_restart(world):
    boxes, server, storage = world
    hold = HoldFirst(boxes.usps)
    await server.start()
    url = f"http://127.0.0.1:{server.port}/"
    maria = Customer(url)
    session_id = await maria.open()
    assert "order number" in text_of(await maria.turn(CASE_STUDY))
    await maria.turn("maria@example.com")
    await maria.send("#1001")
    await asyncio.wait_for(hold.arrived.wait(), 30)  # the turn waits for USPS
    server.kill()
    hold.release.set()
    await maria.aclose()

    await storage.start()
    before = await storage.messages_since(session_id)
    assert before[-1].sender == "customer" and before[-1].text == "#1001"  # stored, unanswered

    await server.start()
    deadline = time.monotonic() + 30
    while (await storage.messages_since(session_id))[-1].sender == "customer":
        assert time.monotonic() < deadline, "the restarted server did not answer"
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # room for a second answer, if there were one
    after = await storage.messages_since(session_id, before[-1].id)
    assert [m.sender for m in after] == ["bot"], after
    assert TRACKING in after[0].text

    back = Customer(url)
    try:  # the customer comes back and gets what was answered while away
        assert await back.open(session_id, before[-1].id) == session_id
        history = await back.expect("session_history")
        assert [m["text"] for m in history["messages"] if TRACKING in m["text"]]
    finally:
        await back.aclose()
