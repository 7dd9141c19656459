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
import random
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
from tests.chatserver.processes import SECRETS, WEBHOOK_SECRET
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


async def start_world(aiohttp_server, tmp_path, model_dir, database_url: str, **zendesk):
    """The sandboxes served in this process, and a server (not started) configured to
    use them and the database."""
    port = free_port()
    boxes = build_sandboxes(
        webhook_url=f"http://127.0.0.1:{port}/webhooks/zendesk", webhook_secret=WEBHOOK_SECRET
    )
    # Zendesk retries a failed delivery for longer; this covers a restart or three.
    boxes.zendesk.webhooks.retry_delays = (0.5, 1.0, 1.0, 2.0, 2.0, 4.0, 4.0, 8.0)
    sandbox_app = web.Application(client_max_size=4 * 1024 * 1024)
    mount_sandboxes(sandbox_app, boxes)
    sandbox = await aiohttp_server(sandbox_app)
    base = str(sandbox.make_url("/sandbox")).rstrip("/")
    config = {
        "database_url": database_url,
        "data_dir": str(tmp_path),
        "model_dir": str(model_dir),
        **SECRETS,
        "zendesk": {
            "base_url": f"{base}/zendesk",
            "webhook_secret": WEBHOOK_SECRET,
            "lease_seconds": 2,
            **zendesk,
        },
        **{
            api: {"base_url": f"{base}/{api}"} for api in ("shopify", "usps", "fedex", "ups", "dhl")
        },
    }
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config))
    server = Server(port, path, tmp_path / "server.log")
    return boxes, server, SqlStorage(database_url), sandbox


@pytest.fixture
async def world(aiohttp_server, tmp_path, model_dir):
    url = f"sqlite+aiosqlite:///{tmp_path}/server.db"
    boxes, server, storage, sandbox = await start_world(
        aiohttp_server, tmp_path, model_dir, url, workers=1
    )
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


# --- a burst of e-mails, and the server killed three times in the middle of it -----------

ORDERS = {  # order -> the customer's address; each a question the bot answers in public
    "1001": "maria", "1003": "priya", "1004": "lukas", "1005": "sam", "1006": "olivia",
    "1008": "ava",
}  # fmt: skip


class Slow:
    """Wraps a sandbox: every answer takes 60 to 240 ms, like the real APIs. Counts the
    requests that arrive and the bot's public replies, and wakes whoever waits for a
    number of either."""

    def __init__(self, sim, rng: random.Random) -> None:
        self.inner, self.rng = sim.handle, rng
        self.calls = self.replies = 0
        self._waiting: list[tuple[str, int, asyncio.Event]] = []
        sim.handle = self

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        self._wake()
        await asyncio.sleep(self.rng.uniform(0.06, 0.24))  # the API's latency, not a wait
        answer = await self.inner(request)
        if is_bot_reply(request) and answer.is_success:
            self.replies += 1
            self._wake()
        return answer

    def _wake(self) -> None:
        for counter, count, event in self._waiting:
            if getattr(self, counter) >= count:
                event.set()

    async def until(self, counter: str, count: int) -> None:
        event = asyncio.Event()
        self._waiting.append((counter, count, event))
        self._wake()
        await asyncio.wait_for(event.wait(), 120)


@pytest.fixture
async def burst_world(aiohttp_server, tmp_path, model_dir, database_url):
    boxes, server, storage, sandbox = await start_world(
        aiohttp_server, tmp_path, model_dir, database_url
    )
    try:
        yield boxes, server, storage, sandbox
    finally:
        server.stop()
        await storage.aclose()
        await boxes.aclose()


@pytest.mark.slow
async def test_killed_three_times_in_a_burst_every_ticket_gets_one_reply(burst_world):
    boxes, server, storage, sandbox = burst_world
    rng = random.Random(11)
    zendesk = Slow(boxes.zendesk, rng)
    Slow(boxes.shopify, rng)
    usps = Slow(boxes.usps, rng)  # #1001, #1006 and #1008 ship with USPS
    for sim in (boxes.fedex, boxes.ups, boxes.dhl):
        Slow(sim, rng)
    await server.start()
    url = str(sandbox.make_url("/sandbox/zendesk/api/v2/tickets.json"))
    customers = list(ORDERS.items()) * 5
    bodies = [
        {
            "ticket": {
                "requester": {"email": f"{name}@example.com"},
                "comment": {"body": f"Hello, where is my order #{order}? Has it shipped?"},
            }
        }
        for order, name in customers
    ]
    async with httpx.AsyncClient(timeout=30) as http:
        opened = await asyncio.gather(*(http.post(url, json=body) for body in bodies))
    tickets = {
        r.json()["ticket"]["id"]: order for r, (order, _) in zip(opened, customers, strict=True)
    }
    assert len(tickets) == 30
    for calls in (2, 6, 10):
        # Killed while a turn waits for USPS: its customer message is stored, its answer
        # is not; other turns and replies are in flight too.
        await usps.until("calls", calls)
        server.kill()
        await server.start()

    await storage.start()
    await settle(boxes, storage.zendesk, timeout=120)
    for ticket, order in tickets.items():
        comments = boxes.zendesk.tickets[ticket].comments
        replies = [c.body for c in comments if c.author_id == AGENT_ID and c.public]
        assert len(replies) == 1, (ticket, replies)
        assert f"#{order}" in replies[0]
        assert [c for c in comments if not c.public] == []  # nobody was asked to step in
    assert zendesk.replies == 30
    assert server.log.read_text().count("its turn did not finish; running it again") >= 3
