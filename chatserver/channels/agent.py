"""The agent console's Socket.IO namespace ``/agent`` (docs/protocol.md).

A connection must carry a valid console session cookie (and, from a browser, come from
this server's own origin); otherwise ``on_connect`` refuses it. Every agent socket sits
in the ``agents`` room, which receives ``conversation`` and ``message`` events live.
Each client event answers through its ack: ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import socketio
from aiohttp import web
from socketio.async_pubsub_manager import AsyncPubSubManager

from chatserver.channels.chat import ChatNamespace, iso
from chatserver.dialogue.actions import Reply
from chatserver.keys import AGENT_AUTH, CHAT, METRICS, SERVICE, SETTINGS, SOCKETIO
from chatserver.service import ConversationService
from chatserver.storage import Session, StoredMessage
from chatserver.web.auth import SESSION_COOKIE, AgentAuth, hash_password, read_cookie

__all__ = ["AGENTS_ROOM", "DEMO_AGENT", "AgentNamespace", "agent_message_json", "setup_agent"]

log = logging.getLogger(__name__)

AGENTS_ROOM = "agents"
DEMO_AGENT = ("agent", "demo")
MAX_TEXT = 4000

Ack = dict[str, Any]


def agent_message_json(m: StoredMessage) -> dict[str, Any]:
    """A message as agents see it: notes included, with the intent of customer messages."""
    out: dict[str, Any] = {"id": m.id, "ts": iso(m.ts), "sender": m.sender, "text": m.text}
    if m.sender == "customer":
        if m.label is not None:
            out.update(intent=m.label, confidence=1.0, labelled=True)
        elif m.intent is not None:
            out.update(intent=m.intent, confidence=m.confidence)
    if m.agent_name:
        out["agent_name"] = m.agent_name
    if m.quick_replies:
        out["quick_replies"] = [
            {"content_type": "text", "title": q.title, "payload": q.payload}
            for q in m.quick_replies
        ]
    return out


def _failed(error: str) -> Ack:
    return {"ok": False, "error": error}


def _text(data: Any) -> str | None:
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        return None
    return text.strip()


def _own_origin(origin: str, environ: dict[str, Any], base_url: str) -> bool:
    netloc = urlsplit(origin).netloc
    return netloc == environ.get("HTTP_HOST") or netloc == urlsplit(base_url).netloc


class AgentNamespace(socketio.AsyncNamespace):
    """Agents: list, view, join, send, note, hand back, close and label."""

    def __init__(self, app: web.Application, chat: ChatNamespace) -> None:
        super().__init__("/agent")
        self.app = app
        self.chat = chat
        self.who: dict[str, str] = {}  # sid -> username

    @property
    def service(self) -> ConversationService:
        return self.app[SERVICE]

    def online(self) -> bool:
        """Is any agent connected?"""
        return bool(self.who)

    def listening(self) -> bool:
        """Could a push to the agents' room reach anyone? Through Redis, the agents of
        other processes may; without it, only the agents connected here."""
        return bool(self.who) or isinstance(self.server.manager, AsyncPubSubManager)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        origin = environ.get("HTTP_ORIGIN")
        if origin and not _own_origin(origin, environ, self.app[SETTINGS].base_url):
            self.app[METRICS].refused.inc(reason="agent_origin")
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": "forbidden_origin", "message": "The console only works on this server."}
            )
        cookie = read_cookie(environ.get("HTTP_COOKIE"), SESSION_COOKIE)
        session = self.app[AGENT_AUTH].session(cookie)
        if session is None:
            self.app[METRICS].refused.inc(reason="agent_unauthorized")
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": "unauthorized", "message": "Sign in at /agent/login."}
            )
        self.who[sid] = str(session["u"])
        await self.enter_room(sid, AGENTS_ROOM)
        self.app[METRICS].connections.inc(namespace="/agent")

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        if self.who.pop(sid, None) is not None:
            self.app[METRICS].connections.dec(namespace="/agent")

    # --- pushes -----------------------------------------------------------------

    async def publish_message(self, m: StoredMessage) -> None:
        if not self.listening():
            return
        await self.emit(
            "message",
            {"session_id": m.session_id, "message": agent_message_json(m)},
            room=AGENTS_ROOM,
        )

    async def publish_conversation(
        self, session: Session, last: StoredMessage | None = None
    ) -> None:
        """The session's row of the conversation list; ``last``, its newest message if
        the caller has it in hand (read from the store otherwise)."""
        if not self.listening():
            return
        if last is not None:
            summary = self.service.summarise(session, last).to_json()
        else:
            summary = await self._summary(session)
        await self.emit("conversation", summary, room=AGENTS_ROOM)

    async def _summary(self, session: Session) -> dict[str, Any]:
        last = (await self.service.storage.last_messages([session.id])).get(session.id)
        return self.service.summarise(session, last).to_json()

    async def _session(self, data: Any) -> Session | None:
        session_id = data.get("session_id") if isinstance(data, dict) else None
        if not isinstance(session_id, str):
            return None
        return await self.service.get_session(session_id)

    async def _transcript(self, session: Session) -> Ack:
        messages = await self.service.messages_since(session.id)
        return {
            "ok": True,
            "conversation": await self._summary(session),
            "messages": [agent_message_json(m) for m in messages],
        }

    # --- events -----------------------------------------------------------------

    async def on_list(self, sid: str, data: Any = None) -> Ack:
        conversations = await self.service.list_conversations()
        model = getattr(self.service.classifier, "model", None)
        intents = sorted(str(c) for c in getattr(model, "classes_", ()))
        return {
            "ok": True,
            "conversations": [c.to_json() for c in conversations],
            "intents": intents,
        }

    async def on_view(self, sid: str, data: Any = None) -> Ack:
        session = await self._session(data)
        if session is None:
            return _failed("unknown conversation")
        return await self._transcript(session)

    def _line(self, template: str, **context: object) -> str:
        """What the customer sees when a person joins, leaves or closes (templates)."""
        return self.service.renderer.render(Reply(template, dict(context))).text

    async def on_join(self, sid: str, data: Any = None) -> Ack:
        me = self.who[sid]
        session = await self._session(data)
        if session is None:
            return _failed("unknown conversation")
        if session.owner == "human" and session.agent not in (None, me):
            return _failed(f"{session.agent} is already in this conversation")
        joined = session.owner != "human"
        session = await self.service.take_over(session.id, me)
        self.chat.tickets.forget(session.id)
        if joined:
            line = self._line("handoff/agent_joined", agent=me)
            await self.chat.set_owner(session.id, "human", me, line)
        await self.publish_conversation(session)
        return await self._transcript(session)

    async def on_send(self, sid: str, data: Any = None) -> Ack:
        me = self.who[sid]
        session, text = await self._session(data), _text(data)
        if session is None:
            return _failed("unknown conversation")
        if text is None:
            return _failed(f"write between 1 and {MAX_TEXT} characters")
        if session.owner != "human" or session.agent != me:
            return _failed("join the conversation before replying")
        stored = await self.service.agent_message(session.id, me, text)
        await self.chat.say(stored)
        return {"ok": True, "message": agent_message_json(stored)}

    async def on_note(self, sid: str, data: Any = None) -> Ack:
        session, text = await self._session(data), _text(data)
        if session is None:
            return _failed("unknown conversation")
        if text is None:
            return _failed(f"write between 1 and {MAX_TEXT} characters")
        stored = await self.service.add_note(session.id, self.who[sid], text)
        await self.publish_message(stored)
        return {"ok": True, "message": agent_message_json(stored)}

    async def on_hand_back(self, sid: str, data: Any = None) -> Ack:
        session = await self._session(data)
        if session is None:
            return _failed("unknown conversation")
        was_human = session.owner == "human"
        session = await self.service.hand_back(session.id)
        if was_human:
            line = self._line("handoff/agent_left")
            await self.chat.set_owner(session.id, "bot", None, line)
        await self.publish_conversation(session)
        return {"ok": True, "conversation": await self._summary(session)}

    async def on_close(self, sid: str, data: Any = None) -> Ack:
        session = await self._session(data)
        if session is None:
            return _failed("unknown conversation")
        was_human = session.owner == "human"
        session = await self.service.close(session.id)
        self.chat.tickets.forget(session.id)
        line = self._line("handoff/closed")
        if was_human:
            await self.chat.set_owner(session.id, "bot", None, line)
        else:
            await self.chat.say(await self.chat.add(session.id, "system", line))
        await self.publish_conversation(session)
        return {"ok": True, "conversation": await self._summary(session)}

    async def on_label(self, sid: str, data: Any = None) -> Ack:
        data = data if isinstance(data, dict) else {}
        message_id, intent = data.get("message_id"), data.get("intent")
        if not isinstance(message_id, int) or not isinstance(intent, str) or not intent.strip():
            return _failed("expected {message_id, intent}")
        stored = await self.service.label(message_id, intent.strip(), self.who[sid])
        if stored is None:
            return _failed("unknown message")
        return {"ok": True, "message": agent_message_json(stored)}


def _accounts(app: web.Application) -> AgentAuth:
    settings = app[SETTINGS]
    agents = settings.agents
    if not agents and settings.demo:
        from chatserver.settings import AgentUser

        username, password = DEMO_AGENT
        agents = (AgentUser(username, hash_password(password)),)
        log.warning(
            "demo mode: the agent console accepts %r / %r; configure `agents` for real use",
            username,
            password,
        )
    elif not agents:
        log.error(
            "no `agents` configured: the agent console refuses every login "
            "(add username + password_hash entries; `chatbot hash-password` makes a hash)"
        )
    return AgentAuth(agents, settings.cookie_secret)


def setup_agent(app: web.Application) -> AgentNamespace:
    """The ``/agent`` namespace on the server ``setup_chat`` attached, and the accounts."""
    app[AGENT_AUTH] = _accounts(app)
    namespace = AgentNamespace(app, app[CHAT])
    app[CHAT].agents = namespace
    app[SOCKETIO].register_namespace(namespace)
    return namespace
