"""What the storage keeps: sessions and their messages, as plain frozen records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chatserver.dialogue.state import DialogueState

__all__ = ["OWNERS", "SENDERS", "STATUSES", "QuickReply", "Session", "StoredMessage"]

OWNERS = ("bot", "human")
STATUSES = ("bot", "waiting", "human", "closed")  # waiting: escalated, no agent yet
SENDERS = ("customer", "bot", "agent", "system", "note")


@dataclass(frozen=True)
class QuickReply:
    """A button as the channel shows it: what it says, and what it sends back."""

    title: str
    payload: str


@dataclass(frozen=True)
class StoredMessage:
    """One message of a transcript; ``id`` grows across the session and is never reused."""

    id: int
    session_id: str
    ts: datetime
    sender: str  # customer | bot | agent | system | note
    text: str
    quick_replies: tuple[QuickReply, ...] = ()
    intent: str | None = None
    confidence: float | None = None
    client_message_id: str | None = None
    agent_name: str | None = None
    label: str | None = None  # the intent an agent confirmed or corrected


@dataclass(frozen=True)
class Session:
    """A conversation: a chat session or a Zendesk ticket."""

    id: str
    channel: str  # chat | email
    created_at: datetime
    updated_at: datetime
    external_ref: str | None = None  # e.g. the Zendesk ticket id
    owner: str = "bot"  # bot | human
    status: str = "bot"  # bot | waiting | human | closed
    agent: str | None = None
    state: DialogueState = field(default_factory=DialogueState)
    escalation_reason: str | None = None
    summary: str = ""
    customer_email: str | None = None
    order: str | None = None  # e.g. "#1001"
    tags: tuple[str, ...] = ()
