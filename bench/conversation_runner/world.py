"""The world one conversation runs in (bench/conversations/README.md, "The world").

The real service (``chatserver.learning.sandboxed.SandboxedService``: ``build_service``
over in-process simulators of every outside API, freshly seeded from the demo shop,
its own in-memory store) on a fixed clock: a Wednesday 11:00 in New York, or 21:00 when
the conversation is outside business hours. Who is online comes from the real presence
(``chatserver.ops.presence.LocalPresence``): the console account ``cs_agent7`` is
connected when the conversation says agents are online. What the service delivers goes
through the real ``Notifier`` to a recording stand-in for the Socket.IO server, so the
customer's view is read in the wire's own shapes. After the last turn, ``aftermath``
reads the hand-off and the side effects from the sandboxes' state.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.conversation_data import Conversation
from bench.conversation_runner.judge import AGENT_DISPLAY_NAME, AGENT_LOGIN
from bench.conversation_runner.mail import MailDesk
from bench.conversation_runner.records import Aftermath, Capabilities, Message
from chatserver.channels.handoff import UNVERIFIED_TAG
from chatserver.channels.notifier import CUSTOMERS, Notifier
from chatserver.dialogue import actions as dialogue_actions
from chatserver.learning.sandboxed import SandboxedService
from chatserver.ops.presence import LocalPresence
from chatserver.service import ConversationService, TurnResult
from chatserver.settings import AgentUser, Settings
from chatserver.web.auth import hash_password
from integrations.sandbox.zendesk import ZendeskSimulator

__all__ = ["CLOSED", "OPEN", "SECRET", "Recording", "Wire", "World", "capabilities"]

OPEN = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # Wednesday 11:00 in New York
CLOSED = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # the same Wednesday, 21:00 in New York
SECRET = "bench-shop-secret"  # the shop's identity secret: signs the host page's identities
CONSOLE_SID = "bench-console"  # the console socket of the agent who is online
HANDOFF_TAG = "chat_handoff"


def capabilities() -> Capabilities:
    """What the service reports, read from its public types (see ``Capabilities``)."""
    effects = [
        name
        for name, obj in vars(dialogue_actions).items()
        if inspect.isclass(obj) and issubclass(obj, dialogue_actions.Effect)
    ]
    return Capabilities(
        acts="act" in {f.name for f in dataclasses.fields(TurnResult)},
        display_names="display_name" in {f.name for f in dataclasses.fields(AgentUser)},
        status_email=any("email" in name.lower() for name in effects),
    )


@functools.cache
def _password_hash() -> str:
    return hash_password("bench-agent-password", salt=b"bench-fixed-salt")


def agent_account(caps: Capabilities) -> AgentUser:
    """The console's one account; with its display name when accounts have one."""
    extra: dict[str, Any] = {"display_name": AGENT_DISPLAY_NAME} if caps.display_names else {}
    return AgentUser(AGENT_LOGIN, _password_hash(), **extra)


class Wire:
    """Stands in for the Socket.IO server behind the ``Notifier``: keeps every emit."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str | None, str, Any]] = []  # namespace, room, event, data

    async def emit(
        self,
        event: str,
        data: Any = None,
        *,
        to: str | None = None,
        room: str | None = None,
        namespace: str | None = None,
        **_: Any,
    ) -> None:
        self.events.append((namespace or CUSTOMERS, to or room, event, data))

    def to_customer(self, session_id: str, since: int) -> list[tuple[str, Any]]:
        """``(event, data)`` the session's widget received after mark ``since``."""
        return [
            (event, data)
            for namespace, room, event, data in self.events[since:]
            if namespace == CUSTOMERS and room == session_id
        ]


def message_of(data: dict[str, Any]) -> Message:
    """A ``bot_uttered`` payload as the widget shows it."""
    buttons = tuple(
        (str(q.get("title", "")), str(q.get("payload", q.get("title", ""))))
        for q in data.get("quick_replies") or ()
        if isinstance(q, dict)
    )
    return Message(
        sender=str(data.get("sender", "bot")),
        text=str(data.get("text", "")),
        agent_name=data.get("agent_name") if data.get("sender") == "agent" else None,
        buttons=buttons,
    )


class Recording:
    """The service as a channel holds it, keeping the ``TurnResult`` of every turn."""

    def __init__(self, service: ConversationService) -> None:
        self._service = service
        self.results: list[TurnResult] = []

    async def handle(self, message: Any) -> TurnResult:
        result = await self._service.handle(message)
        self.results.append(result)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)


class World:
    """One conversation's service, sandboxes, presence and (for e-mail) Zendesk desk."""

    def __init__(self, conversation: Conversation, classifier: Any, caps: Capabilities) -> None:
        self.conversation = conversation
        self.caps = caps
        self.presence = LocalPresence()
        settings = Settings(identity_secret=SECRET, agents=(agent_account(caps),))
        now = OPEN if conversation.business_hours else CLOSED
        self.box = SandboxedService(classifier, settings=settings, now=now, staff=self.presence)
        self.wire = Wire()
        self.notifier = Notifier(self.wire)  # type: ignore[arg-type]  # emits like the server
        self.mail: MailDesk | None = None
        self._service: Recording | None = None

    async def start(self) -> World:
        await self.box.start()
        self._service = Recording(self.box.service)
        if self.conversation.agents_online:
            await self.presence.arrived(CONSOLE_SID, AGENT_LOGIN)  # signed in to the console
        if self.conversation.channel == "email":
            self.mail = MailDesk(
                self._service,
                self.box.storage.zendesk,
                escalation_group=self.box.service.policy.escalation_group,
                clock=lambda: self.box.now,
                move_clock=self._set_now,
            )
        return self

    async def aclose(self) -> None:
        if self.mail is not None:
            await self.mail.aclose()
        await self.box.aclose()

    @property
    def service(self) -> Recording:
        if self._service is None:
            raise RuntimeError("start() the world first")
        return self._service

    @property
    def now(self) -> datetime:
        return self.box.now

    def _set_now(self, moment: datetime) -> None:
        self.box.now = moment

    def tick(self, seconds: float) -> None:
        """Time passes between two turns (the customer reads and types)."""
        self.box.now += timedelta(seconds=seconds)

    @property
    def sign_off(self) -> tuple[str, ...]:
        """The line every e-mail reply ends with: the shop's signature."""
        return (self.box.service.policy.signature,)

    # --- after the last turn ------------------------------------------------------

    def _zendesks(self) -> list[ZendeskSimulator]:
        sims = [self.box.sandboxes.zendesk]
        return [*sims, self.mail.sim] if self.mail is not None else sims

    async def aftermath(self, session_id: str | None, escalated: bool) -> Aftermath:
        """Side effects in the sandboxes, tickets and what a person received.

        ``escalated``: the conversation was waiting for or owned by an agent at some
        point (chat), as the runner saw after each turn.
        """
        after = Aftermath(actions=self._shop_actions())
        own = self.mail.ticket_id if self.mail is not None else None
        for sim in self._zendesks():
            agents = {uid for uid, u in sim.users.items() if u.role in ("agent", "admin")}
            for ticket in sim.tickets.values():
                if sim is not self.box.sandboxes.zendesk and ticket.id == own:
                    continue
                requester = (sim.users[ticket.requester_id].email or "").lower()
                if UNVERIFIED_TAG in ticket.tags:  # the bot's own ticket for a typed address
                    typed = _typed_address(ticket.comments[0].body if ticket.comments else "")
                    requester = typed or requester
                emailed = HANDOFF_TAG not in ticket.tags and any(
                    c.public and c.author_id in agents for c in ticket.comments
                )
                if emailed:  # the bot wrote to the customer: a status e-mail
                    after.actions.add(("status_emailed", requester))
                    continue
                after.actions.add(("ticket_created", requester))
                after.tickets += 1
                after.handoff_texts += [c.body for c in ticket.comments]
                escalated = escalated or HANDOFF_TAG in ticket.tags
        if self.mail is not None:
            escalated = escalated or self.mail.escalated
            after.handoff_texts += self.mail.notes()
        if session_id is not None:
            session = await self.service.get_session(session_id)
            if session is not None and session.summary:
                after.handoff_texts.insert(0, session.summary)
        after.escalated = escalated
        return after

    def _shop_actions(self) -> set[tuple[str, str]]:
        shopify = self.box.sandboxes.shopify
        shop = shopify.shop
        names = {o.id: o.name for o in shop.orders}
        done = {("cancel_order", names[i]) for i in shopify.cancelled if i in names}
        done |= {("return_requested", names[r["order"]]) for r in shopify.returns}
        for sub in shop.subscriptions:  # the seeded status stays on the demo record
            status = shopify.subscription_status.get(sub.id)
            if status == "CANCELLED" and sub.status != "CANCELLED":
                done.add(("cancel_subscription", sub.customer_email.lower()))
        return done


def _typed_address(body: str) -> str:
    """The address a visitor typed, from the top line of an unverified hand-off ticket."""
    first = body.split("\n", 1)[0]
    found = re.search(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", first)
    return found.group(0).lower() if found else ""
