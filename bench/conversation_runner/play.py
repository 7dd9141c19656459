"""Playing one conversation: the customer's side, the agent's console, the e-mail desk.

Chat turns are what the widget sends (``user_uttered``: the text or a quick reply's
payload, ``customData`` with the signed identity from the host page), normalised into an
``InboundMessage`` exactly as ``chatserver.channels.chat`` does, answered by the service
and delivered by the real ``Notifier``: the reply is every ``bot_uttered`` the session's
room receives until ``bot_typing {"typing": false}``. Agent turns are the console's
actions through the service's ``AgentDesk`` and delivered as the ``/agent`` namespace
delivers them. E-mail turns go through Zendesk and the channel's worker (``mail``).
The intent and act of a turn are read from its ``TurnResult``; the console's status
from the service.
"""

from __future__ import annotations

import asyncio
import time
import traceback
import uuid
from typing import Any

from bench.conversation_data import Conversation, Turn
from bench.conversation_runner.judge import AGENT_LOGIN, judge_conversation
from bench.conversation_runner.records import Capabilities, Message, Result, Seen
from bench.conversation_runner.world import SECRET, World, message_of
from chatserver.errors import AgentRefused
from chatserver.identity import sign_identity
from chatserver.service import AgentChange, InboundMessage, TurnResult

__all__ = ["HUMAN_PAYLOAD", "acted_intents", "play"]

HUMAN_PAYLOAD = "/human_agent"  # what the widget's own "Talk to a person" button sends
WIDGET_BUTTON = "talk to a person"
PAGE_URL = "https://demo-shop.example.com/products/wrap-dress"
CHAT_PAUSE = 20.0  # seconds between two chat turns on the world's clock
MAIL_PAUSE = 15 * 60.0  # and between two e-mails
IDENTITY_TTL = 24 * 3600


def acted_intents(result: TurnResult) -> tuple[str, ...]:
    """The intents a turn acted on, in order: ``intents`` if the service reports several,
    else its ``intent_<name>`` tags, else its intent."""
    many = getattr(result, "intents", None)
    if many:
        return tuple(str(i) for i in many)
    tagged = [t.removeprefix("intent_") for t in result.tags if t.startswith("intent_")]
    names = [t for t in dict.fromkeys(tagged) if t != "unknown"]
    return tuple(names) or ((result.intent,) if result.intent else ())


def _read(seen: Seen, result: TurnResult | None) -> None:
    if result is not None:
        seen.intents = acted_intents(result)
        seen.act = getattr(result, "act", None)


class _ChatSide:
    """The widget of one chat session, and the console of the agent Alex."""

    def __init__(self, world: World, conversation: Conversation) -> None:
        self.world = world
        self.conversation = conversation
        self.session_id = ""
        self.screen: list[Message] = []  # everything the customer saw, in order
        self.escalated = False

    async def open(self) -> None:
        session = await self.world.service.open_session("chat")  # as session_request does
        self.session_id = session.id

    def _custom(self) -> dict[str, Any]:
        custom: dict[str, Any] = {"client_message_id": uuid.uuid4().hex, "page_url": PAGE_URL}
        kind, _, email = self.conversation.identity.partition(":")
        if kind == "signed":
            expires = int(self.world.now.timestamp()) + IDENTITY_TTL
            signature = sign_identity(SECRET, email, expires)
            custom["identity"] = {"email": email, "expires": expires, "signature": signature}
        return custom

    def _inbound(self, text: str) -> InboundMessage:
        """As ``chatserver.channels.chat`` turns a ``user_uttered`` into a message."""
        custom = self._custom()  # the widget's customData
        return InboundMessage(
            session_id=self.session_id,
            text=text,
            channel="chat",
            identity=custom.get("identity"),
            client_message_id=custom["client_message_id"],
            metadata={"page_url": custom["page_url"]},
        )

    def _button(self, title: str) -> str | None:
        """The payload of the quick reply on screen whose title contains ``title``."""
        last = self.screen[-1] if self.screen else None
        for shown, payload in last.buttons if last else ():
            if title.casefold() in shown.casefold():
                return payload
        return HUMAN_PAYLOAD if title.strip().casefold() == WIDGET_BUTTON else None

    async def play(self, turn: Turn, seen: Seen) -> None:
        mark = len(self.world.wire.events)
        if turn.kind == "button":
            payload = self._button(turn.value)
            if payload is None:
                offered = [t for t, _ in (self.screen[-1].buttons if self.screen else ())]
                seen.error = f"no quick reply {turn.value!r} on screen (offered: {offered})"
                return
            seen.sent = payload
            await self._customer(payload, seen)
        elif turn.kind == "customer":
            await self._customer(turn.value, seen)
        else:
            await self._agent(turn, seen)
        for event, data in self.world.wire.to_customer(self.session_id, mark):
            if event == "bot_uttered" and isinstance(data, dict):
                seen.messages.append(message_of(data))
            elif event == "session_status" and isinstance(data, dict) and data.get("agent_name"):
                seen.names_shown.append(str(data["agent_name"]))
            elif event == "error" and isinstance(data, dict) and seen.error is None:
                seen.error = f"the server answered error {data.get('code')}: {data.get('message')}"
        self.screen += seen.messages
        session = await self.world.service.get_session(self.session_id)
        seen.state = session.status if session is not None else None
        self.escalated = self.escalated or seen.state in ("waiting", "human")

    async def _customer(self, text: str, seen: Seen) -> None:
        """One ``user_uttered``, as ``ChatNamespace._turn`` runs it."""
        notifier, room = self.world.notifier, self.session_id
        await notifier.typing(room, True)
        try:
            result = await self.world.service.handle(self._inbound(text))
            await notifier.turn(result)
            _read(seen, result)
            self.escalated = self.escalated or result.escalated
        except Exception:
            await notifier.error(room, "internal_error", "Sorry, something went wrong. Try again.")
            seen.note = traceback.format_exc(limit=3)
        finally:
            await notifier.typing(room, False)

    async def _agent(self, turn: Turn, seen: Seen) -> None:
        """What the ``/agent`` namespace does for Alex's click or message."""
        service, notifier = self.world.service, self.world.notifier
        desk = service.agents
        try:
            if turn.kind == "agent_says":
                await notifier.say(
                    await desk.agent_message(self.session_id, AGENT_LOGIN, turn.value)
                )
                return
            change: AgentChange
            if turn.value == "join":
                change = await desk.take_over(self.session_id, AGENT_LOGIN)
            elif turn.value == "hand_back":
                change = await desk.hand_back(self.session_id)
            else:
                change = await desk.close(self.session_id)
            await notifier.change(change, await service.summary(change.session, change.line))
        except AgentRefused as exc:
            seen.error = f"the console refused {turn.value!r}: {exc}"


class _MailSide:
    """The requester's mailbox (and CCs) on one Zendesk ticket."""

    def __init__(self, world: World, conversation: Conversation) -> None:
        self.world = world
        self.conversation = conversation

    async def play(self, turn: Turn, seen: Seen) -> None:
        mail, results = self.world.mail, self.world.service.results
        assert mail is not None
        conversation = self.conversation
        comment = await mail.write(
            turn.value, requester=str(conversation.email_from), ccs=conversation.email_ccs,
            subject=turn.subject,
        )  # fmt: skip
        before, was_escalated = len(results), mail.escalated
        await mail.settle()
        ran = results[before:]
        _read(seen, ran[-1] if ran else None)
        seen.messages = [Message("bot", body) for body in mail.replies_after(comment)]
        seen.handed_over = mail.escalated and not was_escalated
        if seen.handed_over:
            seen.note = "the ticket was handed to a person"
        elif not ran:
            seen.note = "the e-mail channel ran no turn for it"

    @property
    def session_id(self) -> str | None:
        results = self.world.service.results
        return results[-1].customer_message.session_id if results else None


async def _turns(
    world: World, conversation: Conversation, timeout: float
) -> tuple[list[Seen], str | None, bool]:
    """Every turn, in order; the chat session's id and whether a person was brought in."""
    seen_turns: list[Seen] = []
    side: _ChatSide | _MailSide
    if conversation.channel == "chat":
        side = _ChatSide(world, conversation)
        await side.open()
    else:
        side = _MailSide(world, conversation)
    pause = CHAT_PAUSE if conversation.channel == "chat" else MAIL_PAUSE
    for index, turn in enumerate(conversation.turns, start=1):
        if index > 1:
            world.tick(pause)
        seen = Seen(index, turn.kind, turn.value)
        try:
            async with asyncio.timeout(timeout):
                await side.play(turn, seen)
        except TimeoutError:
            seen.error = f"no reply within {timeout:g} s"
        except Exception as exc:  # the runner's own failure on this turn: report, go on
            seen.error = f"the turn failed: {exc!r}"
            seen.note = traceback.format_exc(limit=3)
        seen_turns.append(seen)
    escalated = side.escalated if isinstance(side, _ChatSide) else False
    return seen_turns, side.session_id, escalated


async def play(
    conversation: Conversation, classifier: Any, caps: Capabilities, *, timeout: float = 30.0
) -> Result:
    """Run one conversation in a fresh world and judge it."""
    started = time.perf_counter()
    world = await World(conversation, classifier, caps).start()
    try:
        turns, session_id, escalated = await _turns(world, conversation, timeout)
        after = await world.aftermath(session_id, escalated)
        sign_off = world.sign_off if conversation.channel == "email" else ()
    finally:
        await world.aclose()
    checks = judge_conversation(conversation, turns, after, caps, sign_off=sign_off)
    return Result(
        id=conversation.id,
        category=conversation.category,
        channel=conversation.channel,
        fast=conversation.fast,
        why=conversation.why,
        checks=checks,
        turns=turns,
        seconds=time.perf_counter() - started,
    )
