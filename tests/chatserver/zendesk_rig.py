"""A demo server for Zendesk channel tests: the app factory on a real port, the Zendesk
sandbox in it delivering signed webhooks to ``/webhooks/zendesk``, and helpers that act
as a customer (web form, e-mail reply) and wait until the channel is idle."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass
from typing import Any

import httpx

from chatserver.keys import SANDBOXES, STORAGE
from chatserver.storage.zendesk_queue import ZendeskQueue
from integrations.sandbox.zendesk import AGENT_ID, ZendeskSimulator

__all__ = ["AGENT_ID", "ZendeskRig", "free_port"]

API = "/sandbox/zendesk/api/v2"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class ZendeskRig:
    """A started server (``aiohttp_server``) and an HTTP client for acting on it."""

    server: Any
    http: httpx.AsyncClient

    @property
    def app(self) -> Any:
        return self.server.app

    @property
    def sim(self) -> ZendeskSimulator:
        return self.app[SANDBOXES].zendesk

    @property
    def queue(self) -> ZendeskQueue:
        return self.app[STORAGE].zendesk

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def open_ticket(
        self, text: str, email: str = "maria@example.com", subject: str | None = None,
        html: bool = False,
    ) -> int:  # fmt: skip
        """A customer writes in through the web form (no credentials)."""
        comment = {"html_body": text} if html else {"body": text}
        ticket: dict[str, Any] = {"requester": {"email": email}, "comment": comment}
        if subject is not None:
            ticket["subject"] = subject
        resp = await self.http.post(f"{self.url}{API}/tickets.json", json={"ticket": ticket})
        assert resp.status_code == 201, resp.text
        ticket_id: int = resp.json()["ticket"]["id"]
        return ticket_id

    async def customer_reply(self, ticket_id: int, text: str) -> None:
        """The requester answers by e-mail: an unauthenticated public comment."""
        body = {"ticket": {"comment": {"body": text, "public": True}}}
        resp = await self.http.put(f"{self.url}{API}/tickets/{ticket_id}.json", json=body)
        assert resp.status_code == 200, resp.text

    async def settle(self, timeout: float = 20.0) -> None:
        """Wait until every webhook is delivered and the channel has nothing left to do."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            await self.sim.webhooks.drain()
            busy = await self.queue.pending_work()
            quiet = quiet + 1 if busy == 0 else 0
            if quiet >= 3:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"channel still busy after {timeout}s")

    def comments(self, ticket_id: int) -> list[Any]:
        return list(self.sim.tickets[ticket_id].comments)

    def bot_replies(self, ticket_id: int) -> list[str]:
        return [c.body for c in self.comments(ticket_id) if c.author_id == AGENT_ID and c.public]

    def notes(self, ticket_id: int) -> list[str]:
        return [c.body for c in self.comments(ticket_id) if not c.public]

    def tags(self, ticket_id: int) -> list[str]:
        return list(self.sim.tickets[ticket_id].tags)
