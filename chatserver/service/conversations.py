"""The facade every channel talks to: sessions and turns (and, in ``agents``, what agents do).

A channel (Socket.IO, Zendesk) normalises what arrives into an ``InboundMessage`` and
calls ``ConversationService.handle``; the service stores the message, classifies it,
runs the dialogue turn (the runner executes its effects, a chat hand-off's ticket
included), renders the replies for the channel, stores them, counts the turn, and
returns everything the channel delivers (``TurnResult``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chatserver.dialogue.actions import HandOff, Reply, Tag
from chatserver.dialogue.acts import expecting
from chatserver.dialogue.events import UserMessage
from chatserver.dialogue.handoff import ADDRESS_FIRST
from chatserver.dialogue.state import DialogueState
from chatserver.errors import SessionNotFound
from chatserver.helpcenter import HelpCenter, article_outcome, offered_article
from chatserver.identity import exact_email, verify_identity
from chatserver.policy import Policy
from chatserver.replies import Renderer, first_name
from chatserver.runner import Runner, run_turn
from chatserver.service.agents import AgentDesk
from chatserver.service.batching import Classifications
from chatserver.service.classifier import Classifier, ModelHolder, Understood, understand
from chatserver.service.records import (
    ConversationSummary,
    InboundMessage,
    TurnOutcome,
    TurnResult,
    summarise,
)
from chatserver.storage import Session, Storage, StoredMessage
from chatserver.storage.locks import LocalLocks, SessionLocks
from chatserver.storage.predictions import predicted

if TYPE_CHECKING:
    from chatserver.learning.collector import Collector
    from chatserver.ops.metrics import Metrics
    from chatserver.storage.predictions import Prediction

__all__ = ["ConversationService"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _asked(state: DialogueState) -> str | None:
    """What the bot's last question asked for: a script's, or a hand-off's address."""
    if state.awaiting:
        return state.awaiting
    if state.handoff is not None and state.handoff.to == ADDRESS_FIRST:
        return "email"
    return None


def _intent_tags(acted: tuple[str, ...], parse: Understood) -> tuple[str, ...]:
    return tuple(f"intent_{i}" for i in acted) or (f"intent_{parse.intent or 'unknown'}",)


class ConversationService:
    """Sessions and turns for every channel; build it with ``chatserver.build``.

    Args:
        storage: the one storage (already started).
        classifier: the intent model, in the holder hot reload swaps it in.
        runner: executes the effects the scripts ask for.
        policy: the shop's validated policy.
        renderer: turns replies into channel wording.
        identity_secret: the shop secret that signs ``customData.identity``.
        clock: returns the current time (aware); tests pass a fixed one.
        session_idle: seconds after which an unused chat is not resumed and what it
            proved is forgotten (0: never).
        locks: serialises the turns of one session.
        collector: keeps every prediction and its outcome (``chatserver.learning.collector``).
        metrics: counts turns, intents and hand-offs (``chatserver.ops.metrics``).
        helpcenter: the help-center answers (``chatserver.helpcenter``); None: none.
        agent_names: each agent login's display name, what customers see of agents.
    """

    def __init__(
        self,
        storage: Storage,
        classifier: ModelHolder | Classifier,
        runner: Runner,
        policy: Policy,
        renderer: Renderer,
        *,
        identity_secret: str = "",
        clock: Callable[[], datetime] = _utc_now,
        session_idle: float = 0.0,
        locks: SessionLocks | None = None,
        collector: Collector | None = None,
        metrics: Metrics | None = None,
        helpcenter: HelpCenter | None = None,
        agent_names: Mapping[str, str] | None = None,
    ) -> None:
        self.storage = storage
        self.classifier = (
            classifier if isinstance(classifier, ModelHolder) else ModelHolder(classifier)
        )
        self.runner = runner
        self.policy = policy
        self.renderer = renderer
        self.identity_secret = identity_secret
        self.clock = clock
        self.session_idle = session_idle
        self.locks: SessionLocks = locks or LocalLocks()
        self.collector = collector
        self.metrics = metrics
        self.helpcenter = helpcenter
        self.classifications = Classifications(self.classifier)  # one model call a tick
        self.agents = AgentDesk(
            storage, renderer, clock=clock, locks=self.locks, collector=collector,
            names=agent_names,
        )  # fmt: skip

    # --- sessions -------------------------------------------------------------

    async def open_session(
        self, channel: str, session_id: str | None = None, external_ref: str | None = None
    ) -> Session:
        """Resume a session, or start one.

        A chat gets its own session back only by its exact id, and only while it has not
        been idle longer than ``session_idle``; an unknown, missing or expired id gets a
        NEW unguessable id (never someone else's). With ``external_ref`` (a Zendesk ticket
        id) the newest session of that channel and reference is resumed.
        """
        if session_id:
            found = await self.storage.get_session(session_id)
            live = found is not None and not self._idle(found, self.clock())
            if found is not None and found.channel == channel and live:
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

    def _idle(self, session: Session, now: datetime) -> bool:
        """A chat unused for longer than ``session_idle`` (its bearer may be someone else)."""
        if not self.session_idle or session.channel != "chat":
            return False
        return (now - session.updated_at).total_seconds() > self.session_idle

    async def messages_since(
        self, session_id: str, after_id: int | None = None
    ) -> list[StoredMessage]:
        return await self.storage.messages_since(session_id, after_id)

    # --- customer turns -------------------------------------------------------

    def _classify(self, text: str, channel: str, expect: str | None = None) -> Understood:
        return understand(text, channel, self.classifier, expect)

    async def handle(self, message: InboundMessage) -> TurnResult:
        """Store a customer message and answer it (unless a human owns the session).

        Raises:
            SessionNotFound: ``message.session_id`` was never opened.
        """
        async with self.locks.hold(message.session_id):
            result = await self._handle(message)
        self._count(result)
        return result

    async def _handle(self, message: InboundMessage) -> TurnResult:
        now = message.received_at or self.clock()
        # Classified before the session is read (a channel's messages are in sessions of
        # that channel), so that reading it and storing the message is one transaction.
        parse = await self.classifications.understand(message.text, message.channel)
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
        # While the bot waits for an answer, the message is read as one (its act) too.
        expect = expecting(session.state, waiting_for_person=session.status == "waiting")
        if session.channel != message.channel or expect is not None:  # (mislabelled: as
            parse = self._classify(message.text, session.channel, expect)  # the session)
        if session.owner == "human":
            session = replace(session, updated_at=now)
            prediction = self._prediction(
                stored, session.channel, parse, "human", asked=_asked(session.state)
            )
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
            expect = expecting(session.state, waiting_for_person=session.status == "waiting")
            parse = self._classify(last.text, session.channel, expect)
            result = await self._answer(session, last, message, parse, now)
        self._count(result)
        return result

    async def _answer(
        self,
        session: Session,
        stored: StoredMessage,
        message: InboundMessage,
        parse: Understood,
        now: datetime,
    ) -> TurnResult:
        if session.status == "closed":
            session = replace(session, status="bot", state=DialogueState())
        if self._idle(session, now):  # a socket kept open past the expiry: prove again
            session = replace(session, state=session.state.without_proof())
        before = session.state
        article = offered_article(
            self.helpcenter, message.text, session.channel, parse, classified=parse.classified
        )

        # Checked on every message: access from a signed identity lasts while it is sent.
        identity_email = exact_email(message.identity_email)
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
            identity_email=identity_email,
            payload=parse.payload,
            known_email=session.customer_email,
            article=article,
            act=parse.act,
            act_confidence=parse.act_confidence,
            asks=parse.asks,
        )
        state, actions = await run_turn(
            session.state,
            event,
            self.policy,
            self.runner,
            session_id=session.id,
            client=message.client_address,
        )

        replies = [a for a in actions if isinstance(a, Reply)]
        handoffs = [a for a in actions if isinstance(a, HandOff)]
        extra_tags = [t for a in actions if isinstance(a, Tag) for t in a.tags]
        # The scripts this turn started, in order (two asks: both); else the message's intent.
        acted = tuple(dict.fromkeys(state.facts.started))
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
            tags = ("bot_escalated", *_intent_tags(acted, parse), f"reason_{reason}")
            session = replace(session, status="waiting", escalation_reason=reason, summary=summary)
        else:
            summary = ""
            tags = ("bot_answered", *_intent_tags(acted, parse))
        tags = tuple(dict.fromkeys((*tags, *extra_tags)))
        session = replace(session, tags=tuple(dict.fromkeys((*session.tags, *tags))))
        outcome = "escalated" if handoffs else "answered"
        reason = handoffs[-1].reason if handoffs else None
        prediction = self._prediction(
            stored, session.channel, parse, outcome, reason, asked=_asked(before)
        )
        shown, feedback = article_outcome(before, extra_tags, escalated=bool(handoffs))
        if shown and article is not None:
            prediction = replace(
                prediction, article_id=article.article_id, article_title=article.title[:255],
                article_confidence=article.confidence,
            )  # fmt: skip
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
            article_feedback=feedback,
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
            act=parse.act,
            intents=acted or ((parse.intent,) if parse.intent else ()),
        )

    def _prediction(
        self,
        stored: StoredMessage,
        channel: str,
        parse: Understood,
        outcome: str,
        escalation_reason: str | None = None,
        *,
        asked: str | None = None,
    ) -> Prediction:
        # Every turn leaves its prediction row (the record that it finished); the
        # collector adds the log line.
        build = self.collector.prediction if self.collector is not None else predicted
        return build(
            stored, channel=channel, intent=parse.intent, confidence=parse.confidence,
            ranking=parse.ranking, escalate=parse.escalate, reason=parse.reason,
            model_version=parse.model_version if parse.classified else "payload",
            outcome=outcome, escalation_reason=escalation_reason, classified=parse.classified,
            awaiting=asked,
        )  # fmt: skip

    def _count(self, result: TurnResult) -> None:
        if self.metrics is None:
            return
        self.metrics.turns.inc()
        self.metrics.intents.inc(intent=result.intent or "none")
        if result.escalated:
            self.metrics.escalations.inc(reason=result.escalation_reason or "unknown")

    # --- what agents read ---------------------------------------------------------

    async def list_conversations(
        self, statuses: Iterable[str] | None = None
    ) -> list[ConversationSummary]:
        """Conversations (all, or in these statuses), most recently updated first."""
        sessions = await self.storage.list_sessions(statuses)
        last = await self.storage.last_messages(s.id for s in sessions)
        return [summarise(s, last.get(s.id)) for s in sessions]

    async def summary(
        self, session: Session, last: StoredMessage | None = None
    ) -> ConversationSummary:
        """The session's row; ``last`` is its newest message if the caller has it in hand."""
        if last is None:
            last = (await self.storage.last_messages([session.id])).get(session.id)
        return summarise(session, last)

    async def label(
        self, message_id: int, intent: str, agent: str | None = None
    ) -> StoredMessage | None:
        """An agent confirms or corrects the intent of a customer message: the label lands
        on the message's prediction, pending review, in one transaction."""
        return await self.storage.label_message(message_id, intent, by=agent, at=self.clock())
