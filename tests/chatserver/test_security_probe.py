"""Issue 12's probe, from outside, against a real ``chatbot serve`` in production mode.

The outside APIs are the sandboxes, served by this process (so the test sees what the
server asks Shopify and writes to Zendesk); the server is a child process with a
production config: real secrets, ``trusted_proxies: ["127.0.0.1"]`` (this test is the
proxy: it writes ``X-Forwarded-For``), configured agents. The proof back-off is set to 0
here, so the walk below meets the limits themselves (the back-off has its own tests in
test_proofs.py). A config without secrets does not start at all
(test_production_config.py).
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from typing import Any

import aiohttp
import httpx
import pytest
import socketio
from aiohttp import web

from chatserver.identity import sign_identity
from chatserver.web.auth import SESSION_COOKIE, hash_password
from integrations.sandbox.app import build_sandboxes, mount_sandboxes
from integrations.sandbox.zendesk import AGENT_ID
from integrations.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, format_timestamp, sign
from tests.chatserver.live import Customer, text_of
from tests.chatserver.processes import (
    WEBHOOK_SECRET,
    ServerProcess,
    agent_cookie,
    write_config,
)

TRACKING = "9400111899223456789017"  # Maria's parcel (order #1001)
WAIT = 60.0  # a safety net for a hung test, never an assertion


class Watch:
    """Wraps a sandbox: counts its requests and wakes whoever waits for one that matches."""

    def __init__(self, sim: Any) -> None:
        self.inner = sim.handle
        self.requests: list[httpx.Request] = []
        self._waiting: list[tuple[Any, asyncio.Event]] = []
        sim.handle = self

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = await self.inner(request)
        self.requests.append(request)
        for matches, event in self._waiting:
            if matches(request):
                event.set()
        return answer

    async def until(self, matches: Any) -> None:
        event = asyncio.Event()
        self._waiting.append((matches, event))
        await asyncio.wait_for(event.wait(), WAIT)


def escalated(ticket_id: int) -> Any:
    def matches(request: httpx.Request) -> bool:
        if request.method != "PUT" or f"/tickets/{ticket_id}" not in request.url.path:
            return False
        body = json.loads(request.content or b"{}").get("ticket") or {}
        return "group_id" in body or (body.get("comment") or {}).get("public") is False

    return matches


@pytest.fixture
async def probe(aiohttp_server, tmp_path, model_dir):
    server = ServerProcess(tmp_path / "config.yml", tmp_path / "server.log")
    boxes = build_sandboxes(
        webhook_url=f"http://127.0.0.1:{server.port}/webhooks/zendesk",
        webhook_secret=WEBHOOK_SECRET,
    )
    app = web.Application(client_max_size=4 * 1024 * 1024)
    mount_sandboxes(app, boxes)
    sandbox = await aiohttp_server(app)
    write_config(
        server.config,
        str(sandbox.make_url("/sandbox")).rstrip("/"),
        model_dir=model_dir,
        trusted_proxies=["127.0.0.1"],
        agents=[{"username": "alex", "password_hash": hash_password("alex-pw")}],
        limits={"proof_backoff_seconds": 0},
    )
    shopify, zendesk = Watch(boxes.shopify), Watch(boxes.zendesk)
    await server.start()
    try:
        yield server, boxes, sandbox, shopify, zendesk
    finally:
        await server.stop()
        await boxes.aclose()


async def customer(url: str, address: str) -> Customer:
    client = Customer(url, {"X-Forwarded-For": address})
    await client.open()
    return client


async def test_the_probe(probe, tmp_path):
    server, boxes, sandbox, shopify, zendesk = probe
    url = server.url

    # Forged identity (signed with the old demo secret): no order data.
    forged = {"email": "maria@example.com", "expires": 4_000_000_000}
    forged["signature"] = sign_identity("demo", forged["email"], forged["expires"])
    someone = await customer(url, "198.51.100.1")
    try:
        said = text_of(await someone.turn("where is my order", identity=forged))
        assert TRACKING not in said and "email address" in said
    finally:
        await someone.aclose()

    # Forged webhook (signed with "demo"): refused, nothing stored.
    body = json.dumps({"ticket_id": 1, "event": "comment_created"}).encode()
    stamp = format_timestamp(datetime.now(UTC))  # fresh: only the signature is wrong
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            f"{url}webhooks/zendesk",
            content=body,
            headers={SIGNATURE_HEADER: sign("demo", stamp, body), TIMESTAMP_HEADER: stamp},
        )
    assert resp.status_code == 401

    # Order-number walking with a known email: a new session (and address) every four
    # guesses, down to Maria's own #1001 on the ninth.
    walk = [f"#{n}" for n in range(1009, 1000, -1)]
    said, lookups = [], []
    for start in range(0, len(walk), 4):
        attacker = await customer(url, f"203.0.113.{start}")
        try:
            await attacker.turn("where is my order")
            for guess in walk[start : start + 4]:
                said.append(text_of(await attacker.turn(f"maria@example.com {guess}")))
                lookups.append(len(shopify.requests))
        finally:
            await attacker.aclose()
    assert not any(TRACKING in s for s in said), said
    assert "For your security" in said[-1]
    assert lookups[5:] == [lookups[4]] * (len(walk) - 5)  # no lookup past the limit

    # Many customers behind the trusted proxy: each has its own connection limit.
    many = []
    try:
        for n in range(30):
            client = Customer(url, {"X-Forwarded-For": f"192.0.2.{n}"})
            await client.connect()
            many.append(client)
    finally:
        for client in many:
            await client.aclose()

    # Metric labels: slash-words are text, not new series.
    visitor = await customer(url, "198.51.100.2")
    try:
        for n in range(5):  # "/anything", "/anythingb", ...: each names a new intent
            await visitor.turn("/anything" + "abcde"[n] * n)
    finally:
        await visitor.aclose()
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{url}metrics")).text
    assert "anything" not in metrics

    # Logout ends the session for every copy of the cookie; odd cookies are no 500.
    cookie = await agent_cookie(url, "alex", "alex-pw")
    async with httpx.AsyncClient(headers={"Cookie": cookie}) as http:
        page = await http.get(f"{url}agent/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        out = await http.post(f"{url}agent/logout", data={"csrf_token": token})
        assert out.status_code == 303
        again = await http.get(f"{url}agent/")
        assert again.status_code == 303 and again.headers["location"] == "/agent/login"
    console = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await console.connect(url, headers={"Cookie": cookie}, namespaces=["/agent"],
                              transports=["websocket"], wait_timeout=WAIT)  # fmt: skip
    async with aiohttp.ClientSession() as http:
        for odd in ("é", "a.é", "☃" * 100, '"', "%00", "x" * 5000):
            for path in ("agent/", "agent/login", "agent/dashboard", "agent/api/stats"):
                async with http.get(
                    f"{url}{path}", headers={"Cookie": f"{SESSION_COOKIE}={odd}"},
                    allow_redirects=False,
                ) as resp:  # fmt: skip
                    assert resp.status < 500, (path, odd, resp.status)

    # An email in Maria's name with a stranger in CC: no order details in public.
    async with httpx.AsyncClient() as http:
        created = await http.post(
            str(sandbox.make_url("/sandbox/zendesk/api/v2/tickets.json")),
            json={"ticket": {
                "requester": {"email": "maria@example.com"},
                "comment": {"body": "Has my order #1001 shipped? Please send the tracking."},
                "email_ccs": [{"user_email": "stranger@evil.example"}],
            }},
        )  # fmt: skip
    assert created.status_code == 201
    ticket = created.json()["ticket"]["id"]
    await zendesk.until(escalated(ticket))
    comments = boxes.zendesk.tickets[ticket].comments
    public = [c.body for c in comments if c.author_id == AGENT_ID and c.public]
    assert public and not any(TRACKING in c or "USPS" in c for c in public)
    assert any(TRACKING in c.body for c in comments if not c.public)

    # Nothing above left a full tracking number or session id in the server's log.
    log = (tmp_path / "server.log").read_text(encoding="utf-8", errors="replace")
    assert "zendesk webhook refused: bad signature" in log  # the forged webhook, above
    assert "HTTP Request" in log  # the client's URL lines are there, shortened
    assert TRACKING not in log and "…9017" in log
    sessions = re.findall(r"session[= ]([\w-]+)", log)
    assert all(len(s.rstrip("…")) <= 8 for s in sessions), sessions
