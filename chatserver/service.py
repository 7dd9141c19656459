"""The facade every channel talks to: sessions, turns, and what agents do with them.

A channel (Socket.IO, Zendesk) normalises what arrives into an ``InboundMessage`` and
calls ``ConversationService.handle``; the service stores the message, classifies it,
runs the dialogue turn, renders the replies for the channel and stores them. Agents
take sessions over, write, add notes and hand them back through the same object.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from chatserver.dialogue.actions import HandOff, Reply, Tag
from chatserver.dialogue.events import UserMessage
from chatserver.dialogue.state import DialogueState
from chatserver.errors import ChatServerError
from chatserver.identity import verify_identity
from chatserver.learning.collector import predicted
from chatserver.policy import Policy
from chatserver.replies import Renderer, first_name
from chatserver.runner import Runner, run_turn
from chatserver.storage import Session, Storage, StoredMessage, TicketTurn
from chatserver.storage.locks import LocalLocks, SessionLocks

if TYPE_CHECKING:
    from chatserver.learning.collector import Collector
    from chatserver.storage.predictions import Prediction

__all__ = [
    "Classifier",
    "ConversationService",
    "ConversationSummary",
    "InboundMessage",
    "SessionNotFound",
    "TurnOutcome",
    "TurnResult",
]

_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<json>\{.*\})?\s*$", re.DOTALL)


class SessionNotFound(ChatServerError):
    """No session with that id."""


class Classifier(Protocol):
    """Anything with ``parse(text, channel)`` returning an ``nlu.engine.Parse``-like object."""

    def parse(self, text: str, channel: str = "chat") -> Any: ...


@dataclass(frozen=True)
class InboundMessage:
    """One customer message, as any channel normalises it.

    ``identity_email`` must come from a verified source (the Zendesk requester); a chat
    passes the host page's ``customData.identity`` as ``identity`` and the service checks it.
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
    """What one customer message produced."""

    customer_message: StoredMessage
    replies: list[StoredMessage]
    escalated: bool = False
    escalation_reason: str | None = None
    summary: str = ""  # for the agent / the Zendesk internal note
    tags: tuple[str, ...] = ()
    intent: str | None = None
    confidence: float = 0.0
    session: Session | None = None


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
    customer_email: str | None
    summary: str
    updated_at: datetime
    last_message: str

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
            "updated_at": self.updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "last_message": self.last_message,
        }


@dataclass(frozen=True)
class _Parse:
    intent: str | None
    confidence: float
    escalate: bool
    ranking: tuple[tuple[str, float], ...]
    entities: tuple[tuple[str, str], ...]
    payload: dict[str, Any]
    reason: str | None = None
    model_version: str = "unknown"
    classified: bool = True  # False for a button's payload


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ConversationService:
    """Sessions and turns for every channel.

    Args:
        storage: the one storage (already started).
        classifier: ``nlu.engine.NLU`` or any object with ``parse(text, channel)``.
        runner: executes the outside calls the scripts ask for.
        policy: the shop's validated policy.
        renderer: turns replies into channel wording.
        identity_secret: the shop secret that signs ``customData.identity``.
        clock: returns the current time (aware); tests pass a fixed one.
        locks: serialises the turns of one session.
        collector: keeps every prediction and its outcome (``chatserver.learning.collector``).
    """

    def __init__(
        self,
        storage: Storage,
        classifier: Classifier,
        runner: Runner,
        policy: Policy,
        renderer: Renderer,
        *,
        identity_secret: str = "",
        clock: Callable[[], datetime] = _utc_now,
        locks: SessionLocks | None = None,
        collector: Collector | None = None,
    ) -> None:
        self.storage = storage
        self.classifier = classifier
        self.runner = runner
        self.policy = policy
        self.renderer = renderer
        self.identity_secret = identity_secret
        self.clock = clock
        self.locks: SessionLocks = locks or LocalLocks()
        self.collector = collector

    # --- sessions -------------------------------------------------------------

    async def open_session(
        self, channel: str, session_id: str | None = None, external_ref: str | None = None
    ) -> Session:
        """Resume a session, or start one.

        A chat gets its own session back only by its exact id; an unknown or missing id
        gets a NEW unguessable id (never someone else's). With ``external_ref`` (a Zendesk
        ticket id) the newest session of that channel and reference is resumed.
        """
        if session_id:
            found = await self.storage.get_session(session_id)
            if found is not None and found.channel == channel:
                return found
        if external_ref is not None:
            found = await self.storage.find_session(channel, external_ref)
            if found is not None:
                return found
        now = self.clock()
        session = Session(
            id=secrets.token_urlsafe(24),
            channel=channel,
            external_ref=external_ref,
            created_at=now,
            updated_at=now,
        )
        await self.storage.create_session(session)
        return session

    async def get_session(self, session_id: str) -> Session | None:
        return await self.storage.get_session(session_id)

    async def messages_since(
        self, session_id: str, after_id: int | None = None
    ) -> list[StoredMessage]:
        return await self.storage.messages_since(session_id, after_id)

    async def _require(self, session_id: str) -> Session:
        session = await self.storage.get_session(session_id)
        if session is None:
            raise SessionNotFound(session_id)
        return session

    # --- customer turns -------------------------------------------------------

    def _classify(self, text: str, channel: str) -> _Parse:
        match = _PAYLOAD.match(text.strip())
        if match:
            try:
                payload = json.loads(match["json"]) if match["json"] else {}
            except ValueError:
                payload = {}
            if isinstance(payload, dict):
                return _Parse(
                    match["intent"], 1.0, False, ((match["intent"], 1.0),), (), payload,
                    classified=False,
                )  # fmt: skip
        parse = self.classifier.parse(text, channel=channel)
        return _Parse(
            intent=parse.intent,
            confidence=float(parse.confidence),
            escalate=bool(parse.escalate),
            ranking=tuple((str(i), float(c)) for i, c in parse.ranking),
            entities=tuple((e.type, e.value) for e in parse.entities),
            payload={},
            reason=getattr(parse, "reason", None),
            model_version=str(
                getattr(parse, "model_version", None)
                or getattr(self.classifier, "version", None)
                or "unknown"
            ),
        )

    async def handle(self, message: InboundMessage) -> TurnResult:
        """Store a customer message and answer it (unless a human owns the session).

        Raises:
            SessionNotFound: ``message.session_id`` was never opened.
        """
        async with self.locks.hold(message.session_id):
            return await self._handle(message)

    async def _handle(self, message: InboundMessage) -> TurnResult:
        now = message.received_at or self.clock()
        # Classified before the session is read (a channel's messages are in sessions of
        # that channel), so that reading it and storing the message is one transaction.
        parse = self._classify(message.text, message.channel)
        started = await self.storage.start_turn(
            message.session_id,
            message.text,
            at=now,
            intent=parse.intent,
            confidence=parse.confidence,
            client_message_id=message.client_message_id,
        )
        if started is None:
            raise SessionNotFound(message.session_id)
        session, stored = started
        if session.channel != message.channel:  # a mislabelled message: as the session
            parse = self._classify(message.text, session.channel)
        if session.owner == "human":
            session = replace(session, updated_at=now)
            prediction = self._prediction(stored, session.channel, parse, "human")
            silent = TurnOutcome((), intent=parse.intent, confidence=parse.confidence)
            ticket = message.with_answer(silent) if message.with_answer else None
            await self.storage.finish_turn(
                session, [], at=now, prediction=prediction, ticket=ticket
            )
            return TurnResult(
                stored, [], intent=parse.intent, confidence=parse.confidence, session=session
            )
        return await self._answer(session, stored, message, parse, now)

    async def answer_pending(self, session_id: str) -> TurnResult | None:
        """Answer the session's newest message if it is a customer's that no turn answered.

        That happens when the process running the turn died: the customer's message was
        stored, the answer was not (``Storage.finish_turn`` stores all of it or nothing).
        Holds the session's lock, so a turn still running elsewhere finishes first and is
        not answered twice. A signed chat identity is not stored, so it is not reused.
        """
        async with self.locks.hold(session_id):
            session = await self.storage.get_session(session_id)
            if session is None or session.owner != "bot":
                return None
            last = (await self.storage.last_messages([session_id])).get(session_id)
            if last is None or last.sender != "customer":
                return None
            now = self.clock()
            message = InboundMessage(
                session_id, last.text, session.channel, received_at=now,
                client_message_id=last.client_message_id,
            )  # fmt: skip
            parse = self._classify(last.text, session.channel)
            return await self._answer(session, last, message, parse, now)

    async def _answer(
        self,
        session: Session,
        stored: StoredMessage,
        message: InboundMessage,
        parse: _Parse,
        now: datetime,
    ) -> TurnResult:
        if session.status == "closed":
            session = replace(session, status="bot", state=DialogueState())

        identity_email = message.identity_email
        if identity_email is None and message.identity is not None:
            identity_email = verify_identity(message.identity, self.identity_secret, self.clock())
        event = UserMessage(
            text=message.text,
            now=now,
            intent=parse.intent,
            confidence=parse.confidence,
            escalate=parse.escalate,
            ranking=parse.ranking,
            entities=parse.entities,
            channel=session.channel,
            identity_email=identity_email.strip().lower() if identity_email else None,
            payload=parse.payload,
        )
        state, actions = await run_turn(session.state, event, self.policy, self.runner)

        replies = [a for a in actions if isinstance(a, Reply)]
        handoffs = [a for a in actions if isinstance(a, HandOff)]
        extra_tags = [t for a in actions if isinstance(a, Tag) for t in a.tags]
        rendered = self.renderer.render_turn(
            replies, session.channel, name=first_name(message.customer_name, identity_email)
        )

        slots = state.slots
        session = replace(
            session,
            state=state,
            updated_at=now,
            customer_email=slots.verified_email or session.customer_email,
            order=(state.facts.order.name if state.facts.order else None)
            or slots.verified_order
            or session.order,
        )
        intent = parse.intent if not parse.escalate else None
        if handoffs:
            reason = handoffs[-1].reason
            summary = self.renderer.render_summary(
                state,
                reason=reason,
                notes=[h.note for h in handoffs if h.note],
                channel=session.channel,
            )
            tags = ("bot_escalated", f"intent_{parse.intent or 'unknown'}", f"reason_{reason}")
            session = replace(session, status="waiting", escalation_reason=reason, summary=summary)
        else:
            summary = ""
            tags = ("bot_answered", f"intent_{parse.intent or 'unknown'}")
        tags = tuple(dict.fromkeys((*tags, *extra_tags)))
        session = replace(session, tags=tuple(dict.fromkeys((*session.tags, *tags))))
        outcome = "escalated" if handoffs else "answered"
        reason = handoffs[-1].reason if handoffs else None
        prediction = self._prediction(stored, session.channel, parse, outcome, reason)
        decided = TurnOutcome(
            tuple(r.text for r in rendered), bool(handoffs), reason, summary, tags,
            intent if intent else parse.intent, parse.confidence,
        )  # fmt: skip
        ticket = message.with_answer(decided) if message.with_answer else None
        # The replies, the state they leave, the prediction and what the channel writes
        # with them (an e-mail's outbox row): all stored, or none.
        out = await self.storage.finish_turn(
            session,
            [(r.text, r.quick_replies) for r in rendered],
            at=now,
            prediction=prediction,
            ticket=ticket,
        )
        return TurnResult(
            customer_message=stored,
            replies=out,
            escalated=bool(handoffs),
            escalation_reason=handoffs[-1].reason if handoffs else None,
            summary=summary,
            tags=tags,
            intent=intent if intent else parse.intent,
            confidence=parse.confidence,
            session=session,
        )

    def _prediction(
        self,
        stored: StoredMessage,
        channel: str,
        parse: _Parse,
        outcome: str,
        escalation_reason: str | None = None,
    ) -> Prediction:
        # Every turn leaves its prediction row (the record that it finished); the
        # collector adds the log line.
        build = self.collector.prediction if self.collector is not None else predicted
        return build(
            stored, channel=channel, intent=parse.intent, confidence=parse.confidence,
            ranking=parse.ranking, escalate=parse.escalate, reason=parse.reason,
            model_version=parse.model_version if parse.classified else "payload",
            outcome=outcome, escalation_reason=escalation_reason, classified=parse.classified,
        )  # fmt: skip

    # --- agents -----------------------------------------------------------------

    async def take_over(self, session_id: str, agent: str) -> Session:
        """A person owns the session from now on; the bot stays silent in it."""
        async with self.locks.hold(session_id):
            session = await self._require(session_id)
            session = replace(
                session, owner="human", status="human", agent=agent, updated_at=self.clock()
            )
            await self.storage.save_session(session)
            return session

    async def agent_message(self, session_id: str, agent: str, text: str) -> StoredMessage:
        async with self.locks.hold(session_id):
            session = await self._require(session_id)
            now = self.clock()
            stored = await self.storage.add_message(
                session_id, "agent", text, at=now, agent_name=agent
            )
            await self.storage.save_session(replace(session, updated_at=now))
            return stored

    async def add_note(self, session_id: str, agent: str, text: str) -> StoredMessage:
        """An internal note: in the transcript for agents, never shown to the customer."""
        async with self.locks.hold(session_id):
            await self._require(session_id)
            return await self.storage.add_message(
                session_id, "note", text, at=self.clock(), agent_name=agent
            )

    async def hand_back(self, session_id: str) -> Session:
        """The bot owns the session again, starting from a fresh dialogue (identity kept)."""
        async with self.locks.hold(session_id):
            session = await self._require(session_id)
            state = DialogueState(slots=session.state.slots, intents=session.state.intents)
            session = replace(
                session, owner="bot", status="bot", agent=None, state=state, updated_at=self.clock()
            )
            await self.storage.save_session(session)
            return session

    async def close(self, session_id: str) -> Session:
        async with self.locks.hold(session_id):
            session = await self._require(session_id)
            session = replace(session, owner="bot", status="closed", updated_at=self.clock())
            await self.storage.save_session(session)
            if self.collector is not None:
                await self.collector.closed(session_id)
            return session

    async def list_conversations(
        self, statuses: Iterable[str] | None = None
    ) -> list[ConversationSummary]:
        """Conversations (all, or in these statuses), most recently updated first."""
        sessions = await self.storage.list_sessions(statuses)
        last = await self.storage.last_messages(s.id for s in sessions)
        return [self.summarise(s, last.get(s.id)) for s in sessions]

    def summarise(self, session: Session, last: StoredMessage | None = None) -> ConversationSummary:
        best: dict[str, float] = {}
        for intent, confidence in session.state.intents:
            best[intent] = max(confidence, best.get(intent, 0.0))
        return ConversationSummary(
            session_id=session.id,
            channel=session.channel,
            status=session.status,
            agent=session.agent,
            escalation_reason=session.escalation_reason,
            intents=tuple(sorted(best.items(), key=lambda p: -p[1])),
            order=session.order,
            customer_email=session.customer_email,
            summary=session.summary,
            updated_at=session.updated_at,
            last_message=last.text if last else "",
        )

    async def label(
        self, message_id: int, intent: str, agent: str | None = None
    ) -> StoredMessage | None:
        """An agent confirms or corrects the intent of a customer message: the label lands
        on the message's prediction, pending review, in one transaction."""
        return await self.storage.label_message(message_id, intent, by=agent, at=self.clock())
