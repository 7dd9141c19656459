"""What happens to a session: a customer message, or the answer to an effect.

Time comes in on ``UserMessage.now``, so the step itself reads no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from integrations.models import Order, ReturnRequest, Subscription, Tracking

if TYPE_CHECKING:
    from nlu.retrieval.answers import ArticleAnswer

__all__ = [
    "ActionFailed",
    "AgentsAvailable",
    "Event",
    "OrderCancelled",
    "OrderFound",
    "OrdersFound",
    "ProofRefused",
    "ReturnRequested",
    "StatusEmailed",
    "SubscriptionCancelled",
    "SubscriptionsFound",
    "TicketOpened",
    "Tracked",
    "UserMessage",
]


@dataclass(frozen=True)
class UserMessage:
    """One customer message, already classified.

    ``identity_email`` is an address the server has verified (the email requester, or a
    valid signed identity); ``payload`` holds the JSON of ``/choose{...}``-style replies;
    ``known_email`` is the address the session kept from an earlier conversation, where a
    hand-off's ticket may go. ``article`` is the help-center answer the service found
    for the message (``chatserver.helpcenter.offered_article``), when one should answer it.
    """

    text: str
    now: datetime
    intent: str | None = None
    confidence: float = 0.0
    escalate: bool = False
    ranking: tuple[tuple[str, float], ...] = ()
    entities: tuple[tuple[str, str], ...] = ()  # (type, value)
    channel: str = "chat"
    identity_email: str | None = None
    payload: dict[str, Any] = field(default_factory=dict, hash=False)
    known_email: str | None = None  # the session's address from before (for a ticket)
    article: ArticleAnswer | None = None  # answer from this help-center article
    # While the bot waits for an answer: what the message does (``nlu.acts.ACTS``).
    act: str | None = None
    act_confidence: float = 0.0
    # (intent, how) in the order written; how: "ask", "statement" or "if" (conditional)
    asks: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OrderFound:
    """Answer to ``LookupOrder``: None both for no such order and for someone else's.

    ``email`` is the address the order was looked up with: a match proves it (``proof``:
    it was only a claim before).
    """

    order: Order | None
    email: str | None = None
    proof: bool = False


@dataclass(frozen=True)
class ProofRefused:
    """Answer to a proof's ``LookupOrder`` made too often: nothing was looked up.

    ``retry_after``: seconds until another try is allowed; None: not for now (a limit).
    """

    retry_after: float | None = None


@dataclass(frozen=True)
class OrdersFound:
    orders: tuple[Order, ...]


@dataclass(frozen=True)
class Tracked:
    """Answer to ``TrackShipments``, in the order asked; None when no carrier fits the number."""

    trackings: tuple[Tracking | None, ...]


@dataclass(frozen=True)
class OrderCancelled:
    order: Order | None = None


@dataclass(frozen=True)
class ReturnRequested:
    request: ReturnRequest


@dataclass(frozen=True)
class SubscriptionsFound:
    subscriptions: tuple[Subscription, ...]


@dataclass(frozen=True)
class SubscriptionCancelled:
    subscription: Subscription


@dataclass(frozen=True)
class StatusEmailed:
    """Answer to ``EmailOrderStatus``: ``sent`` is for the records, never for the chat."""

    sent: bool


@dataclass(frozen=True)
class AgentsAvailable:
    """Answer to ``CheckAvailability``: is an agent online (on any server process)?"""

    online: bool


@dataclass(frozen=True)
class TicketOpened:
    """Answer to ``OpenTicket``; ``added``: a note on the chat's ticket, not a new one."""

    ticket: int
    email: str
    added: bool = False


@dataclass(frozen=True)
class ActionFailed:
    """An outside call failed or timed out; ``reason`` is for the agent."""

    action: str
    reason: str
    vendor: str = ""


Event = (
    UserMessage
    | OrderFound
    | ProofRefused
    | OrdersFound
    | Tracked
    | OrderCancelled
    | ReturnRequested
    | SubscriptionsFound
    | SubscriptionCancelled
    | StatusEmailed
    | AgentsAvailable
    | TicketOpened
    | ActionFailed
)
