"""Exactly once across a crash: a real server process (``python -m chatserver serve``)
killed with SIGKILL at a chosen point, then restarted on the same database.

The sandboxes run in the test process, so the test decides when the Zendesk API
answers: it holds one request open (the first ticket read, or the bot's reply) and
kills the server meanwhile. Nothing in the server knows it is being tested. Needs an
intent model: the installed one, or one trained once per session (about 10 s).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from aiohttp import web

from chatserver.settings import PROJECT_ROOT
from chatserver.storage import SqlStorage
from integrations.sandbox.app import build_sandboxes, mount_sandboxes
from tests.chatserver.zendesk_rig import AGENT_ID, free_port

MARIA = (
    "Hi, I bought a wrap dress last week, the charge is on my card but I haven't heard "
    "anything. Has it shipped?"
)
TRACKING = "9400111899223456789017"


class Hold:
    """Wraps the Zendesk sandbox: the first request that ``matches`` is held open until
    released; ``apply_first`` says whether the sandbox applies it before holding."""

    def __init__(self, sim, matches, *, apply_first: bool) -> None:
        self.sim, self.matches, self.apply_first = sim, matches, apply_first
        self.inner = sim.handle
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()
        self.used = False
        sim.handle = self

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.used or not self.matches(request):
            return await self.inner(request)
        self.used = True
        answer = await self.inner(request) if self.apply_first else None
        self.arrived.set()
        await self.release.wait()  # the server is killed meanwhile: nobody reads this
        return answer or httpx.Response(503, text="gone")


def is_ticket_read(request: httpx.Request) -> bool:
    return request.method == "GET" and request.url.path.startswith("/api/v2/tickets/")


def is_bot_reply(request: httpx.Request) -> bool:
    if request.method != "PUT":
        return False
    comment = (json.loads(request.content or b"{}").get("ticket") or {}).get("comment")
    return isinstance(comment, dict) and comment.get("author_id") == AGENT_ID


class Server:
    """``python -m chatserver serve`` as a child process."""

    def __init__(self, port: int, config: Path, log: Path) -> None:
        self.port, self.config, self.log = port, config, log
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "chatserver", "serve", "--port", str(self.port),
                 "--config", str(self.config)],
                cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as http:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, self.log.read_text()[-3000:]
                try:
                    if (await http.get(f"http://127.0.0.1:{self.port}/healthz")).is_success:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("server did not start:\n" + self.log.read_text()[-3000:])

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
async def world(aiohttp_server, tmp_path, model_dir):
    port = free_port()
    boxes = build_sandboxes(webhook_url=f"http://127.0.0.1:{port}/webhooks/zendesk")
    boxes.zendesk.webhooks.retry_delays = (0.5, 1.0, 1.0, 2.0, 2.0, 4.0)
    sandbox_app = web.Application(client_max_size=4 * 1024 * 1024)
    mount_sandboxes(sandbox_app, boxes)
    sandbox = await aiohttp_server(sandbox_app)
    base = str(sandbox.make_url("/sandbox")).rstrip("/")
    config = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path}/server.db",
        "data_dir": str(tmp_path),
        "model_dir": str(model_dir),
        "zendesk": {"base_url": f"{base}/zendesk", "lease_seconds": 2, "workers": 1},
        **{
            api: {"base_url": f"{base}/{api}"} for api in ("shopify", "usps", "fedex", "ups", "dhl")
        },
    }
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config))
    server = Server(port, path, tmp_path / "server.log")
    storage = SqlStorage(config["database_url"])
    try:
        yield boxes, server, storage, sandbox
    finally:
        server.stop()
        await storage.aclose()
        await boxes.aclose()


async def settle(boxes, queue, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        await boxes.zendesk.webhooks.drain()
        quiet = quiet + 1 if await queue.pending_work() == 0 else 0
        if quiet >= 5:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the server did not finish its Zendesk work")


@pytest.mark.parametrize(
    ("matches", "apply_first"),
    [(is_ticket_read, False), (is_bot_reply, False), (is_bot_reply, True)],
    ids=["killed-before-the-turn", "killed-before-the-reply-landed", "killed-after-it-landed"],
)
async def test_a_killed_server_replies_exactly_once_after_restart(world, matches, apply_first):
    boxes, server, storage, sandbox = world
    hold = Hold(boxes.zendesk, matches, apply_first=apply_first)
    await server.start()
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            str(sandbox.make_url("/sandbox/zendesk/api/v2/tickets.json")),
            json={"ticket": {"requester": {"email": "maria@example.com"},
                             "comment": {"body": MARIA}}},
        )  # fmt: skip
    assert resp.status_code == 201
    ticket = resp.json()["ticket"]["id"]
    await asyncio.wait_for(hold.arrived.wait(), 30)
    server.kill()
    hold.release.set()

    await server.start()
    await storage.start()
    await settle(boxes, storage.zendesk)
    comments = boxes.zendesk.tickets[ticket].comments
    replies = [c.body for c in comments if c.author_id == AGENT_ID and c.public]
    assert len(replies) == 1, replies
    assert TRACKING in replies[0]
    [row] = await storage.zendesk.outbox_rows(ticket)
    assert row.status == "sent"
