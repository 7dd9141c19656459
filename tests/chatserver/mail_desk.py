"""The Zendesk channel in-process, on a clock the test moves: no sockets, no waiting.

``MailDesk`` is the conversation world of :mod:`tests.chatserver.harness` plus a
Zendesk sandbox on the same clock and a :class:`~chatserver.channels.zendesk.worker.
ZendeskWorker` that is never started: :meth:`MailDesk.run` delivers the sandbox's
trigger invocations to the queue (as the webhook endpoint would), lets the worker
work until nothing is due, and then moves the clock to the moment the next retry or
lease expiry falls due, until the channel is idle. A backoff of minutes costs nothing::

    desk = await MailDesk.start()
    ticket = await desk.open_ticket("Has order #1001 shipped?")
    moved = await desk.run()
    assert "USPS" in desk.bot_replies(ticket)[0]
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from chatserver.channels.zendesk.worker import ZendeskWorker
from integrations.http import RetryPolicy
from integrations.sandbox.base import transport
from integrations.sandbox.zendesk import AGENT_ID, ZendeskSimulator
from integrations.zendesk import ZendeskClient
from tests.chatserver.harness import World

__all__ = ["AGENT_ID", "Killed", "MailDesk", "die_once"]

BASE = "http://zendesk.test"


class Killed(BaseException):
    """The process died here (nothing in the server catches a BaseException)."""


def die_once(obj: Any, name: str) -> None:
    """The next call of ``obj.name`` kills the "process" before doing anything."""
    original = getattr(obj, name)

    async def dying(*args: Any, **kwargs: Any) -> Any:
        setattr(obj, name, original)
        raise Killed(name)

    setattr(obj, name, dying)


async def _no_sleep(_: float) -> None:
    return None


class MailDesk:
    """A world with a Zendesk channel on the world's clock (``world.now``)."""

    def __init__(self, world: World, **worker_options: Any) -> None:
        self.world = world
        self.sim = ZendeskSimulator(clock=lambda: world.now)
        self.http = httpx.AsyncClient(transport=transport(self.sim))
        # One attempt per call: every retry is the channel's own, on the clock.
        self.zendesk = ZendeskClient(
            self.http, base_url=BASE, email="agent@example.com", api_token="demo",
            retry=RetryPolicy(attempts=1), sleep=_no_sleep,
        )  # fmt: skip
        self.queue = world.storage.zendesk
        self.worker = ZendeskWorker(
            self.queue,
            world.service,
            self.zendesk,
            clock=lambda: world.now,
            escalation_group=world.service.policy.escalation_group,
            **worker_options,
        )
        self._delivered = 0

    @classmethod
    async def start(cls, database_url: str = "sqlite+aiosqlite://", **options: Any) -> MailDesk:
        world = await World(database_url=database_url).start()
        return cls(world, **options)

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.world.aclose()

    # --- customers --------------------------------------------------------------

    async def open_ticket(self, text: str, email: str = "maria@example.com") -> int:
        """A customer writes in through the web form."""
        body = {"ticket": {"requester": {"email": email}, "comment": {"body": text}}}
        resp = await self.http.post(f"{BASE}/api/v2/tickets.json", json=body)
        assert resp.status_code == 201, resp.text
        ticket_id: int = resp.json()["ticket"]["id"]
        return ticket_id

    async def customer_reply(self, ticket_id: int, text: str) -> None:
        body = {"ticket": {"comment": {"body": text, "public": True}}}
        resp = await self.http.put(f"{BASE}/api/v2/tickets/{ticket_id}.json", json=body)
        assert resp.status_code == 200, resp.text

    # --- the channel ------------------------------------------------------------

    async def deliver(self) -> None:
        """Queue the triggers fired since the last call, as the webhook endpoint does."""
        for invocation in self.sim.invocations[self._delivered :]:
            data = invocation.payload
            comment = data.get("comment_id")
            await self.queue.record_event(
                int(str(data["ticket_id"])), int(str(comment)) if comment else None,
                str(data.get("event", "unknown")), invocation.id, invocation.body.decode(),
                now=self.world.now,
            )  # fmt: skip
        self._delivered = len(self.sim.invocations)

    async def run(self, max_steps: int = 200) -> timedelta:
        """Work until idle, moving the clock to each next due time; how far it moved."""
        started = self.world.now
        for _ in range(max_steps):
            await self.deliver()
            if await self.worker.run_once("test-worker"):
                continue
            due = await self.queue.next_due()
            if due is None:
                return self.world.now - started
            if due < self.world.now:  # due, yet nothing was claimed: only a bug gets here
                raise AssertionError(f"work due at {due} was not taken")
            # A pending row is due at its time; a lease ends just after its own.
            self.world.now = due if due > self.world.now else due + timedelta(microseconds=1)
        raise AssertionError(f"the channel was still busy after {max_steps} steps")

    # --- what the customer sees ---------------------------------------------------

    def comments(self, ticket_id: int) -> list[Any]:
        return list(self.sim.tickets[ticket_id].comments)

    def bot_replies(self, ticket_id: int) -> list[str]:
        return [c.body for c in self.comments(ticket_id) if c.author_id == AGENT_ID and c.public]

    def notes(self, ticket_id: int) -> list[str]:
        return [c.body for c in self.comments(ticket_id) if not c.public]
