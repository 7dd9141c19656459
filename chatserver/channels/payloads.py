"""The JSON shapes of docs/protocol.md: messages as customers and as agents see them."""

from __future__ import annotations

from typing import Any

from chatserver.service import iso
from chatserver.storage import StoredMessage

__all__ = ["agent_message_json", "bot_uttered_json", "customer_message_json", "user_message_json"]


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


def bot_uttered_json(m: StoredMessage) -> dict[str, Any]:
    """A ``bot_uttered`` payload: Rasa's ``text``/``quick_replies`` plus our keys."""
    return customer_message_json(m)


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
