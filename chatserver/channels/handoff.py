"""Hand-offs nobody can take in the chat become Zendesk tickets.

When the bot hands a chat to a person and no agent is online, or the shop is closed, the
whole transcript goes to Zendesk as a ticket for the customer's email address, and the
customer is told the reply will come by email. Without a known address the bot asks for
one first; the next message holding an address creates the ticket. That wait is kept in
memory, so a restart forgets it (the session stays "waiting" in the console). A later
hand-off of the same chat adds to its ticket instead of opening another: the ticket's
number is read back from the internal note recorded when it was opened.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from chatserver.dialogue.actions import Reply
from chatserver.keys import SETTINGS, ZENDESK
from chatserver.service import InboundMessage
from chatserver.storage import Session
from integrations.errors import IntegrationError

if TYPE_CHECKING:
    from chatserver.channels.chat import ChatNamespace

__all__ = ["TicketFallback"]

log = logging.getLogger(__name__)

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
TRANSCRIPT_LABEL = {"customer": "Customer", "bot": "Bot", "agent": "Agent", "system": "System"}

OPENED_NOTE = "Zendesk ticket #{ticket} opened for {email}."
_OPENED = re.compile(r"^Zendesk ticket #(\d+) opened for ")


class TicketFallback:
    """Turns a chat hand-off into a Zendesk ticket, asking for an email when needed."""

    def __init__(self, chat: ChatNamespace) -> None:
        self.chat = chat
        self.awaiting_email: set[str] = set()  # sessions whose ticket waits for an address

    async def ticket_or_ask(self, session: Session) -> None:
        if session.customer_email:
            await self.create_ticket(session.id, session.customer_email)
        else:
            self.awaiting_email.add(session.id)
            await self._say(session.id, "handoff/ask_email")

    def forget(self, session_id: str) -> None:
        """A person took the session over (or closed it): no ticket any more."""
        self.awaiting_email.discard(session_id)

    async def take_email(self, message: InboundMessage) -> bool:
        """When this message is the awaited address: store it, open the ticket, True."""
        if message.session_id not in self.awaiting_email:
            return False
        found = EMAIL.search(message.text)
        if found is None:
            return False
        service = self.chat.service
        stored = await service.storage.add_message(
            message.session_id,
            "customer",
            message.text,
            at=service.clock(),
            client_message_id=message.client_message_id,
        )
        await self.chat.echo(stored)
        await self.create_ticket(message.session_id, found.group(0))
        return True

    async def _say(self, session_id: str, template: str, **context: object) -> None:
        text = self.chat.service.renderer.render(Reply(template, dict(context))).text
        await self.chat.say(await self.chat.add(session_id, "bot", text))

    async def create_ticket(self, session_id: str, email: str) -> None:
        self.awaiting_email.discard(session_id)
        chat, service = self.chat, self.chat.service
        session = await service.get_session(session_id)
        messages = await service.messages_since(session_id)
        opened = [
            int(m.group(1)) for n in messages if (m := _OPENED.match(n.text)) and n.sender == "note"
        ]
        since = 0
        if opened:  # only what came after the last note goes to the existing ticket
            since = max(n.id for n in messages if n.sender == "note" and _OPENED.match(n.text))
        transcript = "\n".join(
            f"[{m.ts.isoformat(timespec='seconds')}] {TRANSCRIPT_LABEL[m.sender]}: {m.text}"
            for m in messages
            if m.sender in TRANSCRIPT_LABEL and m.id > since
        )
        summary = session.summary if session is not None else ""
        reason = (session.escalation_reason if session is not None else None) or "hand-off"
        body = f"{summary}\n\nChat transcript:\n{transcript}".strip()
        zendesk = chat.app[ZENDESK]
        try:
            if opened:
                await zendesk.add_note(opened[-1], body)
            else:
                ticket = await zendesk.create_ticket(
                    subject=f"Chat hand-off: {reason}",
                    body=body,
                    requester_email=email,
                    tags=("chat_handoff", f"reason_{reason}"),
                    group_id=chat.app[SETTINGS].zendesk.escalation_group_id,
                )
        except IntegrationError as exc:
            log.warning("could not pass session %s on to Zendesk: %s", session_id, exc)
            await self._say(session_id, "handoff/ticket_failed")
            return
        if opened:
            await self._say(session_id, "handoff/ticket_updated", ticket=opened[-1])
            return
        chat.metrics.tickets.inc()
        await chat.add(session_id, "note", OPENED_NOTE.format(ticket=ticket.id, email=email))
        await self._say(session_id, "handoff/ticket_opened", ticket=ticket.id, email=email)
