"""The Zendesk ticket of a chat hand-off nobody can take in the chat.

The conversation decides (``chatserver.dialogue.handoff``) and asks for it with an
``OpenTicket`` effect; the runner calls ``HandOffTickets.open``. The ticket carries the
agent's summary and the transcript as stored, for the customer's address, and an
internal note in the chat records its number at once. A later hand-off of the same
chat (or the same turn run again after a crash) finds that note and adds what came
after it to the ticket instead of opening another.

An address the customer only typed (``OpenTicket.verified`` false) is never the ticket's
requester: Zendesk would email the transcript to whoever it names. The ticket is the
bot's own, tagged ``unverified_email``, and says at the top which address was typed, for
a person to check before writing to it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime

from chatserver.dialogue.actions import OpenTicket
from chatserver.dialogue.events import TicketOpened
from chatserver.replies import Renderer
from chatserver.storage import Storage, StoredMessage
from integrations.errors import IntegrationError
from integrations.zendesk import ZendeskClient

__all__ = ["OPENED_NOTE", "UNVERIFIED_TAG", "HandOffTickets", "opened_tickets"]

log = logging.getLogger(__name__)

TRANSCRIPT_LABEL = {"customer": "Customer", "bot": "Bot", "agent": "Agent", "system": "System"}
OPENED_NOTE = "Zendesk ticket #{ticket} opened for {email}."
UNVERIFIED_TAG = "unverified_email"
UNVERIFIED = (
    "UNVERIFIED ADDRESS: asked where to reply, the visitor typed {email}. Nothing proves it "
    "is theirs, so it is not this ticket's requester and nothing has been sent to it. Check "
    "it before you write to it, and share no order details there unless they prove the "
    "order."
)
_OPENED = re.compile(r"^Zendesk ticket #(\d+) opened for ")


def opened_tickets(messages: list[StoredMessage]) -> list[tuple[int, int]]:
    """``(note id, ticket number)`` of every ticket the chat's notes say was opened."""
    return [
        (n.id, int(m.group(1)))
        for n in messages
        if n.sender == "note" and (m := _OPENED.match(n.text))
    ]


class HandOffTickets:
    """Opens a chat's ticket, or adds to it (``chatserver.runner.Tickets``).

    Args:
        zendesk: the API client.
        storage: where the transcript is read and the "ticket opened" note written.
        renderer: renders the agent's summary at the top of the ticket.
        group_id: the Zendesk group for chat hand-offs (None: Zendesk's default).
        clock: the note's time.
        on_open: called once per ticket opened (the metrics count them).
    """

    def __init__(
        self,
        zendesk: ZendeskClient,
        storage: Storage,
        renderer: Renderer,
        *,
        group_id: int | None,
        clock: Callable[[], datetime],
        on_open: Callable[[], None] | None = None,
    ) -> None:
        self.zendesk = zendesk
        self.storage = storage
        self.renderer = renderer
        self.group_id = group_id
        self.clock = clock
        self.on_open = on_open

    async def open(self, session_id: str, ticket: OpenTicket) -> TicketOpened:
        """Raises ``IntegrationError`` when Zendesk does not take it (the turn says so)."""
        messages = await self.storage.messages_since(session_id)
        opened = opened_tickets(messages)
        since = opened[-1][0] if opened else 0  # an existing ticket gets what came after
        transcript = "\n".join(
            f"[{m.ts.isoformat(timespec='seconds')}] {TRANSCRIPT_LABEL[m.sender]}: {m.text}"
            for m in messages
            if m.sender in TRANSCRIPT_LABEL and m.id > since
        )
        summary = self.renderer.render_summary(
            ticket.about, reason=ticket.reason, notes=ticket.notes, channel="chat"
        )
        body = f"{summary}\n\nChat transcript:\n{transcript}".strip()
        if not ticket.verified:
            body = UNVERIFIED.format(email=ticket.email) + "\n\n" + body
        try:
            if opened:
                number = opened[-1][1]
                await self.zendesk.add_note(number, body)
                return TicketOpened(number, ticket.email, added=True)
            tags = ("chat_handoff", f"reason_{ticket.reason}")
            created = await self.zendesk.create_ticket(
                subject=f"Chat hand-off: {ticket.reason}",
                body=body,
                requester_email=ticket.email if ticket.verified else None,
                tags=tags if ticket.verified else (*tags, UNVERIFIED_TAG),
                group_id=self.group_id,
            )
        except IntegrationError as exc:
            log.warning("could not pass session %s… on to Zendesk: %s", session_id[:8], exc)
            raise
        note = OPENED_NOTE.format(ticket=created.id, email=ticket.email)
        await self.storage.add_message(session_id, "note", note, at=self.clock())
        if self.on_open is not None:
            self.on_open()
        return TicketOpened(created.id, ticket.email)
