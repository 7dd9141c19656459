"""What the service takes from a channel and what it hands back for the channel to deliver."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chatserver.storage import Session, StoredMessage, TicketTurn

__all__ = [
    "AgentChange",
    "ConversationSummary",
    "InboundMessage",
    "TurnOutcome",
    "TurnResult",
    "iso",
    "summarise",
]


def iso(moment: datetime) -> str:
    """The wire form of a time (docs/protocol.md): ISO 8601 in UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class InboundMessage:
    """One customer message, as any channel normalises it.

    ``identity_email`` must come from a verified source (the Zendesk requester); a chat
    passes the host page's ``customData.identity`` as ``identity`` and the service checks it
    on every message. ``client_address`` is the customer's address as the channel knows it
    (the proof limits count failures per address).
    """

    session_id: str
    text: str
    channel: str = "chat"  # chat | email
    received_at: datetime | None = None  # default: the service's clock
    identity_email: str | None = None
    identity: dict[str, Any] | None = None  # {email, expires, signature}
    customer_name: str | None = None  # the email requester's name, for "Hi Maria,"
    client_message_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    client_address: str = ""
    # What the channel writes with the answer, in the turn's transaction (an e-mail
    # turn's outbox row and "comments handled" marks), from what the turn decided.
    with_answer: Callable[[TurnOutcome], TicketTurn | None] | None = None


@dataclass(frozen=True)
class TurnOutcome:
    """What a turn decided, before it is stored (see ``InboundMessage.with_answer``)."""

    replies: tuple[str, ...]
    escalated: bool = False
    escalation_reason: str | None = None
    summary: str = ""
    tags: tuple[str, ...] = ()
    intent: str | None = None
    confidence: float = 0.0


@dataclass(frozen=True)
class TurnResult:
    """What one customer message produced: everything a channel delivers for it.

    ``replies`` are stored and in order (a chat hand-off's ticket lines included);
    ``session`` is the session as the turn left it.
    """

    customer_message: StoredMessage
    replies: list[StoredMessage]
    escalated: bool = False
    escalation_reason: str | None = None
    summary: str = ""  # for the agent / the Zendesk internal note
    tags: tuple[str, ...] = ()
    intent: str | None = None
    confidence: float = 0.0
    session: Session | None = None
    act: str | None = None  # the dialogue act read, when the bot waited for an answer
    intents: tuple[str, ...] = ()  # the scripts the turn ran, in order (two asks: both)


@dataclass(frozen=True)
class AgentChange:
    """What an agent's action changed, for the channels to deliver.

    ``owner`` is set when the customer must be told who owns the chat now
    (``session_status``); ``line`` is the system line shown to the customer and agents;
    ``agent_name`` the agent's display name the customer sees (None: none configured).
    """

    session: Session
    line: StoredMessage | None = None
    owner: str | None = None  # bot | human, when it changed
    agent_name: str | None = None


@dataclass(frozen=True)
class ConversationSummary:
    """One row of the agents' conversation list (``Summary`` in docs/protocol.md)."""

    session_id: str
    channel: str
    status: str
    agent: str | None
    escalation_reason: str | None
    intents: tuple[tuple[str, float], ...]  # best first
    order: str | None
    customer_email: str | None  # proven (an order matched, a signed identity, an email's sender)
    summary: str
    updated_at: datetime
    last_message: str
    claimed_email: str | None = None  # typed by the customer, not proven

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "channel": self.channel,
            "status": self.status,
            "agent": self.agent,
            "escalation_reason": self.escalation_reason,
            "intents": [list(pair) for pair in self.intents],
            "order": self.order,
            "customer_email": self.customer_email,
            "summary": self.summary,
            "updated_at": iso(self.updated_at),
            "last_message": self.last_message,
            "claimed_email": self.claimed_email,
        }


def summarise(session: Session, last: StoredMessage | None = None) -> ConversationSummary:
    """The session's row of the conversation list; ``last`` is its newest message.

    Who it is: the proven customer only (anyone can type an address). Why it is with a
    person: only while it is (waiting or with an agent); handed back or closed, the old
    reason no longer describes it (the session's tags keep it for the figures).
    """
    best: dict[str, float] = {}
    for intent, confidence in session.state.intents:
        best[intent] = max(confidence, best.get(intent, 0.0))
    claimed = session.state.slots.email
    return ConversationSummary(
        session_id=session.id,
        channel=session.channel,
        status=session.status,
        agent=session.agent,
        escalation_reason=(
            session.escalation_reason if session.status in ("waiting", "human") else None
        ),
        intents=tuple(sorted(best.items(), key=lambda p: -p[1])),
        order=session.order,
        customer_email=session.customer_email,
        summary=session.summary,
        updated_at=session.updated_at,
        last_message=last.text if last else "",
        claimed_email=claimed if claimed and claimed != session.customer_email else None,
    )
