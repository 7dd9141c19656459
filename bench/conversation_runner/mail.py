"""The e-mail channel of one conversation: a Zendesk sandbox and the real worker.

The customer writes as Zendesk's web form and e-mail do (an unauthenticated ticket
with its requester and CCs, then public comments by the requester; a mail written in
HTML arrives as the comment's ``html_body``); the sandbox's
triggers are queued as the webhook endpoint queues them, and the channel's own
``ZendeskWorker`` reads the ticket, applies its rules, runs the service turn and sends
the outbox, on the world's clock (a retry due in a minute costs nothing: the clock is
moved to it). What the customer sees is the bot's public comments.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from chatserver.channels.zendesk.rules import ESCALATED_TAG
from chatserver.channels.zendesk.worker import ZendeskWorker
from chatserver.storage.zendesk_queue import ZendeskQueue
from integrations.http import RetryPolicy
from integrations.sandbox.base import transport
from integrations.sandbox.zendesk import ZendeskSimulator
from integrations.zendesk import ZendeskClient

__all__ = ["MailDesk"]

BASE = "http://zendesk.test"
API = f"{BASE}/api/v2"
MAX_STEPS = 200
_HTML = re.compile(r"\s*<(?:div|p|html|body|br|span|table)\b", re.IGNORECASE)


class MailDeskError(Exception):
    """The e-mail channel did not settle (a bug in the channel, reported as the turn's)."""


async def _no_sleep(_: float) -> None:
    return None


def _comment(text: str) -> dict[str, str]:
    """A mail written in HTML (a phone's mail app) arrives as Zendesk's ``html_body``."""
    return {"html_body": text} if _HTML.match(text) else {"body": text}


class MailDesk:
    """A Zendesk account on the world's clock, and the channel's worker over the service.

    Args:
        service: the conversation service (anything with its ``handle``, ``open_session``
            and ``storage``: the runner passes one that keeps each ``TurnResult``).
        queue: the channel's tables in the service's store.
        escalation_group: the policy's group for hand-overs.
        clock, move_clock: read and set the world's time.
    """

    def __init__(
        self,
        service: Any,
        queue: ZendeskQueue,
        *,
        escalation_group: str,
        clock: Callable[[], datetime],
        move_clock: Callable[[datetime], None],
    ) -> None:
        self.clock = clock
        self.move_clock = move_clock
        self.queue = queue
        self.sim = ZendeskSimulator(clock=clock)
        self.http = httpx.AsyncClient(transport=transport(self.sim))
        client = ZendeskClient(
            self.http, base_url=BASE, email="agent@example.com", api_token="demo",
            retry=RetryPolicy(attempts=1), sleep=_no_sleep,
        )  # fmt: skip
        self.worker = ZendeskWorker(
            queue, service, client, clock=clock, escalation_group=escalation_group
        )
        self.ticket_id: int | None = None
        self._delivered = 0

    async def aclose(self) -> None:
        await self.sim.aclose()
        await self.http.aclose()

    # --- the customer -----------------------------------------------------------

    async def write(
        self, text: str, *, requester: str, ccs: tuple[str, ...] = (), subject: str | None = None
    ) -> int:
        """The customer's e-mail: the first opens the ticket; the id of its comment."""
        if self.ticket_id is None:
            ticket: dict[str, Any] = {"requester": {"email": requester}, "comment": _comment(text)}
            if subject:
                ticket["subject"] = subject
            if ccs:
                ticket["email_ccs"] = [{"user_email": cc, "action": "put"} for cc in ccs]
            resp = await self.http.post(f"{API}/tickets.json", json={"ticket": ticket})
            resp.raise_for_status()
            self.ticket_id = int(resp.json()["ticket"]["id"])
        else:
            body = {"ticket": {"comment": {**_comment(text), "public": True}}}
            resp = await self.http.put(f"{API}/tickets/{self.ticket_id}.json", json=body)
            resp.raise_for_status()
        return self.sim.tickets[self.ticket_id].comments[-1].id

    # --- the channel ------------------------------------------------------------

    async def _deliver(self) -> None:
        """Queue the triggers fired since the last call, as the webhook endpoint does."""
        for invocation in self.sim.invocations[self._delivered :]:
            data = invocation.payload
            comment = data.get("comment_id")
            await self.queue.record_event(
                int(str(data["ticket_id"])), int(str(comment)) if comment else None,
                str(data.get("event", "unknown")), invocation.id, invocation.body.decode(),
                now=self.clock(),
            )  # fmt: skip
        self._delivered = len(self.sim.invocations)

    async def settle(self) -> None:
        """Work until the channel is idle, moving the clock to each next due time."""
        for _ in range(MAX_STEPS):
            await self._deliver()
            if await self.worker.run_once("bench"):
                continue
            due = await self.queue.next_due()
            if due is None:
                return
            now = self.clock()
            if due < now:
                raise MailDeskError(f"work due at {due} was not taken")
            self.move_clock(due if due > now else due + timedelta(microseconds=1))
        raise MailDeskError(f"the e-mail channel was still busy after {MAX_STEPS} steps")

    # --- what came of it ----------------------------------------------------------

    def _agents(self) -> set[int]:
        return {uid for uid, u in self.sim.users.items() if u.role in ("agent", "admin")}

    def replies_after(self, comment_id: int) -> list[str]:
        """The bot's public comments on the ticket after the customer's comment."""
        if self.ticket_id is None:
            return []
        agents = self._agents()
        return [
            c.body
            for c in self.sim.tickets[self.ticket_id].comments
            if c.id > comment_id and c.public and c.author_id in agents
        ]

    def notes(self) -> list[str]:
        """Internal notes on the ticket (what a person receives when it is handed over)."""
        if self.ticket_id is None:
            return []
        return [c.body for c in self.sim.tickets[self.ticket_id].comments if not c.public]

    @property
    def escalated(self) -> bool:
        """Handed to the escalation group (the channel's tag)."""
        ticket = self.sim.tickets.get(self.ticket_id) if self.ticket_id is not None else None
        return ticket is not None and ESCALATED_TAG in ticket.tags
