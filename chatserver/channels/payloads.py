"""The JSON shapes of docs/protocol.md: messages as customers and as agents see them.

Customers speak one of two protocols, chosen per connection in ``session_request``:
Rasa's socketio channel as it is (``RASA``: stock clients such as rasa-webchat, which
shows a ``bot_uttered`` only when its keys are exactly Rasa's) or Rasa's plus this
server's keys and events (``EXTENDED``: our widget and terminal client).
"""

from __future__ import annotations

from typing import Any

from chatserver.service import iso
from chatserver.storage import Session, StoredMessage

__all__ = [
    "EXTENDED",
    "PROTOCOLS",
    "RASA",
    "agent_message_json",
    "bot_uttered_json",
    "customer_message_json",
    "requested_protocol",
    "user_message_json",
    "waiting_for",
]

RASA = "rasa"
EXTENDED = "chatbot/1"
PROTOCOLS = (RASA, EXTENDED)


def requested_protocol(request: dict[str, Any]) -> str | None:
    """The protocol a ``session_request`` asks for, or None for one this server does not speak.

    Without a ``protocol`` (or with null), a request carrying ``last_message_id`` (a key of
    ours that Rasa clients never send) comes from a widget or terminal client older than the
    key, which read our extensions: it keeps them. Any other request is a stock Rasa client.
    """
    wanted = request.get("protocol")
    if wanted is None:
        return EXTENDED if "last_message_id" in request else RASA
    return wanted if isinstance(wanted, str) and wanted in PROTOCOLS else None


def _quick_replies(m: StoredMessage) -> list[dict[str, str]]:
    return [
        {"content_type": "text", "title": q.title, "payload": q.payload} for q in m.quick_replies
    ]


def customer_message_json(m: StoredMessage) -> dict[str, Any]:
    """A message as customers see it (``session_history`` entries)."""
    out: dict[str, Any] = {"id": m.id, "ts": iso(m.ts), "sender": m.sender, "text": m.text}
    if m.quick_replies:
        out["quick_replies"] = _quick_replies(m)
    if m.agent_name and m.sender == "agent":
        out["agent_name"] = m.agent_name
    if m.client_message_id and m.sender == "customer":
        out["client_message_id"] = m.client_message_id
    return out


def bot_uttered_json(m: StoredMessage, protocol: str) -> dict[str, Any]:
    """A ``bot_uttered`` payload: exactly Rasa's ``text`` (and ``quick_replies``), plus our
    keys (``id``, ``ts``, ``sender``, ``agent_name``) for clients that asked for them."""
    if protocol == EXTENDED:
        return customer_message_json(m)
    out: dict[str, Any] = {"text": m.text}
    if m.quick_replies:
        out["quick_replies"] = _quick_replies(m)
    return out


def user_message_json(m: StoredMessage) -> dict[str, Any]:
    """A ``user_message`` payload: the customer's message as stored, to every tab."""
    return {"id": m.id, "ts": iso(m.ts), "text": m.text, "client_message_id": m.client_message_id}


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
        out["quick_replies"] = _quick_replies(m)
    return out


def waiting_for(session: Session) -> str | None:
    """What a bot-owned session handed over waits for (``session_status.waiting``):
    ``person`` (a colleague will join the chat), ``email`` (the team replies by email),
    or None. The widget's header and buttons follow it, so they say what the bot said."""
    handoff = session.state.handoff
    if session.owner != "bot" or session.status != "waiting" or handoff is None:
        return None
    return {"person": "person", "address": "email", "ticket": "email"}.get(handoff.to or "")
