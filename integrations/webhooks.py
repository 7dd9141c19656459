"""Zendesk webhook signing and the trigger payload, shared by the sandbox that signs
and the server that verifies.

Signature [C]: ``X-Zendesk-Webhook-Signature`` is
``base64(HMAC-SHA256(key=secret as UTF-8, msg=timestamp header + raw body))``, with no
separator; the timestamp header looks like ``2021-03-25T05:09:27Z``. Zendesk leaves
replay protection to the receiver, so :func:`verify` also rejects timestamps outside
a tolerance window.

The payload is whatever the trigger's JSON template says. We document one template
(:data:`TRIGGER_TEMPLATE`, in the README) and the sandbox sends exactly that shape
(:func:`trigger_payload`). Choices where the reference is [U]:

* placeholder names beyond ``{{ticket.id}}`` are from Zendesk's placeholder list as
  remembered (``ticket.latest_comment.id`` especially); ``event`` is a literal, one
  trigger per event;
* Zendesk substitutes free text into the template as text, so a comment with quotes
  may not arrive as valid JSON: :func:`parse_event` falls back to reading the leading
  ``ticket_id`` alone, and the server should re-fetch the ticket through the API
  rather than trust ``latest_comment``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = [
    "ACCOUNT_ID_HEADER",
    "EVENTS",
    "INVOCATION_ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "TRIGGER_TEMPLATE",
    "WEBHOOK_ID_HEADER",
    "TicketEvent",
    "WebhookRejected",
    "format_timestamp",
    "parse_event",
    "parse_timestamp",
    "sign",
    "trigger_payload",
    "verify",
]

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
WEBHOOK_ID_HEADER = "X-Zendesk-Webhook-Id"
INVOCATION_ID_HEADER = "X-Zendesk-Webhook-Invocation-Id"
ACCOUNT_ID_HEADER = "X-Zendesk-Account-Id"

EVENTS = ("ticket_created", "comment_added")

TRIGGER_TEMPLATE = """\
{"ticket_id": {{ticket.id}}, "comment_id": {{ticket.latest_comment.id}},\
 "event": "%s", "status": "{{ticket.status}}"}"""
"""The trigger's JSON body (docs/zendesk.md); ``%s`` is the literal event name.

Ids only: free text (subject, comment) substituted into a template can break its JSON
and grow past Zendesk's 256 KB webhook cap, and the API is the truth anyway.

Two triggers use it: "Ticket is Created" with ``ticket_created``, and
"Comment is Public" + "Current user is (end-user)" with ``comment_added`` — the
second condition is what keeps the bot's own replies from calling us back."""


class WebhookRejected(Exception):
    """A webhook request that must not be acted on; ``reason`` says why (for logs)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def format_timestamp(when: datetime) -> str:
    """``2021-03-25T05:09:27Z``: the form of the signature timestamp header."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(value: str) -> datetime:
    """The signature timestamp as an aware datetime; ValueError if unreadable."""
    when = datetime.fromisoformat(value.strip())
    if when.tzinfo is None:
        raise ValueError(f"timestamp without offset: {value!r}")
    return when


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Zendesk-Webhook-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(
    secret: str,
    timestamp: str | None,
    body: bytes,
    signature: str | None,
    *,
    now: datetime,
    tolerance_seconds: float = 300,
) -> None:
    """Accept a webhook request only if Zendesk signed it recently.

    Raises:
        WebhookRejected: headers missing, timestamp unreadable, older or further in the
            future than ``tolerance_seconds``, or a signature that does not match.
    """
    if not signature or not timestamp:
        raise WebhookRejected("missing signature or timestamp header")
    try:
        sent_at = parse_timestamp(timestamp)
    except ValueError as exc:
        raise WebhookRejected(f"unparsable timestamp {timestamp[:40]!r}") from exc
    skew = (now - sent_at).total_seconds()
    if skew > tolerance_seconds:
        raise WebhookRejected(f"stale timestamp ({skew:.0f}s old)")
    if skew < -tolerance_seconds:
        raise WebhookRejected(f"timestamp {-skew:.0f}s in the future")
    # Compare as bytes: compare_digest refuses non-ASCII str, and a forged header may be.
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode()):
        raise WebhookRejected("bad signature")


@dataclass(frozen=True)
class TicketEvent:
    """What a trigger told us. Only ``ticket_id`` is always known; re-fetch the rest."""

    ticket_id: int
    event: str = ""
    comment_id: int | None = None
    requester_email: str = ""
    subject: str = ""
    status: str = ""
    latest_comment: str = ""


def trigger_payload(
    *,
    ticket_id: int,
    comment_id: int,
    event: str,
    status: str,
) -> dict[str, object]:
    """The body :data:`TRIGGER_TEMPLATE` produces, as the sandbox sends it."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    return {
        "ticket_id": ticket_id,
        "comment_id": comment_id,
        "event": event,
        "status": status,
    }


_TICKET_ID = re.compile(rb'"ticket_id"\s*:\s*"?(\d+)')


def parse_event(body: bytes) -> TicketEvent:
    """Read a (verified) trigger body.

    Raises:
        WebhookRejected: no ticket id can be found in it.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict):
        try:
            comment_id = data.get("comment_id")
            return TicketEvent(
                ticket_id=int(data["ticket_id"]),
                event=str(data.get("event") or ""),
                comment_id=int(comment_id) if comment_id not in (None, "") else None,
                requester_email=str(data.get("requester_email") or ""),
                subject=str(data.get("subject") or ""),
                status=str(data.get("status") or ""),
                latest_comment=str(data.get("latest_comment") or ""),
            )
        except (KeyError, TypeError, ValueError):
            pass
    # Free text broke the template's JSON: the ticket id still leads the body.
    match = _TICKET_ID.search(body)
    if match is None:
        raise WebhookRejected("no ticket_id in webhook body")
    return TicketEvent(ticket_id=int(match.group(1)))
