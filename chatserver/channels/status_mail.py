"""An order's status e-mailed to the address on the order (``EmailOrderStatus``).

A customer without an order number can still learn where their order is: the chat asks
for the address they ordered with, and the status goes to that address only, through
the e-mail channel (a Zendesk ticket whose requester is the order's address; the bot's
public reply on it is the e-mail Zendesk sends). Nothing is shown in the chat, so an address
that is not the customer's reveals nothing to them.
"""

from __future__ import annotations

import logging

from chatserver.dialogue.actions import Reply
from chatserver.replies import Renderer
from integrations.models import Order
from integrations.zendesk import ZendeskClient

__all__ = ["STATUS_TAG", "StatusMail"]

log = logging.getLogger(__name__)

STATUS_TAG = "order_status_email"
ASKED = "Asked in the shop's chat: the status of my order, by e-mail (no order number at hand)."


class StatusMail:
    """Sends one order's status to the address on it (``chatserver.runner.Mail``).

    Args:
        zendesk: the API client (the ticket is the e-mail).
        renderer: renders ``status_email/body`` with the shop's greeting and signature.
    """

    def __init__(self, zendesk: ZendeskClient, renderer: Renderer) -> None:
        self.zendesk = zendesk
        self.renderer = renderer

    async def send(self, order: Order) -> None:
        """Raises ``IntegrationError`` when Zendesk does not take it."""
        if not order.email:
            return
        parcels = [
            {"company": t.company, "number": t.number, "url": t.url}
            for f in order.fulfillments
            if f.status == "SUCCESS"
            for t in f.tracking
        ]
        reply = Reply(
            "status_email/body",
            {
                "order": order.name,
                "placed": order.processed_at,
                "items": [li.title for li in order.line_items],
                "cancelled": order.is_cancelled,
                "parcels": parcels,
            },
        )
        (body,) = self.renderer.render_turn([reply], "email")
        # The first comment of a ticket is the requester's: it says what they asked for;
        # the status is the bot's public reply, which Zendesk e-mails to the requester.
        ticket = await self.zendesk.create_ticket(
            subject=f"Your order {order.name}",
            body=ASKED,
            requester_email=order.email,
            tags=(STATUS_TAG,),
        )
        # Sent: nothing for an agent to do until the customer replies (which reopens it).
        await self.zendesk.add_comment(ticket.id, body.text, public=True, status="solved")
        log.info("order status e-mailed: ticket %s", ticket.id)
