"""Replay past conversations through a model and the scripts, and report what changes.

The file is JSON Lines, one conversation a line::

    {"channel": "chat", "identity_email": "ann@example.com",
     "turns": [{"text": "where is my order #1001?", "intent": "track_order",
                "expect": "Your order #1001 shipped with USPS ..."}]}

``channel`` is "chat" (default) or "email"; ``identity_email`` (optional) is the
customer's verified address, as the Zendesk channel passes it; each turn's ``text`` is
what the customer wrote, and the optional ``intent`` and ``expect`` are the intent and
the bot's reply (its messages joined by a blank line) seen before. ``chatbot data
sessions`` writes stored conversations in this shape (unmasked: keep the file private).

Each conversation runs in a fresh :class:`~chatserver.learning.sandboxed.SandboxedService`
(the shop's settings: its policy and templates; the sandboxes, in-memory SQLite, the
clock at ``sandboxed.NOW``). A turn *changed* when its intent or its reply differs from
what the file (or a baseline model) says.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatserver.errors import ChatServerError
from chatserver.learning.sandboxed import SandboxedService
from chatserver.service import Classifier, InboundMessage
from chatserver.settings import Settings
from chatserver.storage import Storage

__all__ = [
    "Conversation",
    "ReplayError",
    "ReplayReport",
    "Turn",
    "TurnDiff",
    "export_sessions",
    "load_conversations",
    "replay",
]


class ReplayError(ChatServerError):
    """The replay file is malformed."""


@dataclass(frozen=True)
class Turn:
    text: str
    intent: str | None = None
    expect: str | None = None


@dataclass(frozen=True)
class Conversation:
    turns: tuple[Turn, ...]
    channel: str = "chat"
    identity_email: str | None = None
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"channel": self.channel}
        if self.id:
            out["id"] = self.id
        if self.identity_email:
            out["identity_email"] = self.identity_email
        out["turns"] = [
            {k: v for k, v in (("text", t.text), ("intent", t.intent), ("expect", t.expect)) if v}
            for t in self.turns
        ]
        return out


def _optional_str(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise ReplayError(f"{where}: {key!r} must be a string")
    return value


def load_conversations(file: Path) -> list[Conversation]:
    """Conversations from a JSON Lines file (format in the module docstring).

    Raises:
        ReplayError: the file cannot be read or a line is not a conversation.
    """
    try:
        lines = Path(file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplayError(f"{file}: cannot read: {exc}") from exc
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{file}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ReplayError(f"{where}: not JSON: {exc.msg}") from exc
        if not isinstance(obj, dict) or not isinstance(obj.get("turns"), list):
            raise ReplayError(f'{where}: expected {{"channel", "turns": [...]}}')
        channel = obj.get("channel", "chat")
        if channel not in ("chat", "email"):
            raise ReplayError(f"{where}: channel must be 'chat' or 'email'")
        turns = []
        for t in obj["turns"]:
            if not isinstance(t, dict) or not isinstance(t.get("text"), str):
                raise ReplayError(f'{where}: each turn needs {{"text": str}}')
            turns.append(
                Turn(
                    t["text"], _optional_str(t, "intent", where), _optional_str(t, "expect", where)
                )
            )
        out.append(
            Conversation(
                tuple(turns),
                channel,
                _optional_str(obj, "identity_email", where),
                _optional_str(obj, "id", where) or str(n),
            )
        )
    return out


async def export_sessions(storage: Storage, out: Path, *, limit: int | None = None) -> int:
    """Write the store's conversations (newest first) as a replay file; how many."""
    sessions = await storage.list_sessions()
    if limit is not None:
        sessions = sessions[:limit]
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with out.open("w", encoding="utf-8") as file:
        for session in sessions:
            turns: list[Turn] = []
            replies: list[str] = []
            pending: tuple[str, str | None] | None = None
            for m in await storage.messages_since(session.id):
                if m.sender == "customer":
                    if pending is not None:
                        turns.append(Turn(pending[0], pending[1], "\n\n".join(replies) or None))
                    pending, replies = (m.text, m.label or m.intent), []
                elif m.sender == "bot" and pending is not None:
                    replies.append(m.text)
            if pending is not None:
                turns.append(Turn(pending[0], pending[1], "\n\n".join(replies) or None))
            if not turns:
                continue
            conv = Conversation(tuple(turns), session.channel, session.customer_email, session.id)
            file.write(json.dumps(conv.to_json(), ensure_ascii=False) + "\n")
            count += 1
    return count


@dataclass(frozen=True)
class TurnDiff:
    conversation: str
    turn: int  # 1-based
    text: str
    intent_before: str | None
    intent_after: str | None
    reply_before: str | None
    reply_after: str
    escalated: bool
    baseline: bool = False  # "before" comes from a baseline run: None is a known value

    @property
    def intent_changed(self) -> bool:
        known = self.baseline or self.intent_before is not None
        return known and self.intent_before != self.intent_after

    @property
    def reply_changed(self) -> bool:
        if self.reply_before is None:
            return self.baseline and bool(self.reply_after)
        return _same(self.reply_before) != _same(self.reply_after)

    @property
    def changed(self) -> bool:
        return self.intent_changed or self.reply_changed

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation": self.conversation,
            "turn": self.turn,
            "text": self.text,
            "intent_before": self.intent_before,
            "intent_after": self.intent_after,
            "intent_changed": self.intent_changed,
            "reply_changed": self.reply_changed,
            "reply_before": self.reply_before,
            "reply_after": self.reply_after,
            "escalated": self.escalated,
        }


def _same(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class ReplayReport:
    turns: tuple[TurnDiff, ...]

    @property
    def changed(self) -> tuple[TurnDiff, ...]:
        return tuple(t for t in self.turns if t.changed)

    def summary(self) -> dict[str, int]:
        return {
            "conversations": len({t.conversation for t in self.turns}),
            "turns": len(self.turns),
            "compared": sum(
                t.baseline or t.intent_before is not None or t.reply_before is not None
                for t in self.turns
            ),
            "changed": len(self.changed),
            "intent_changed": sum(t.intent_changed for t in self.turns),
            "reply_changed": sum(t.reply_changed for t in self.turns),
            "conversations_changed": len({t.conversation for t in self.changed}),
        }

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary(), "turns": [t.to_json() for t in self.turns]}


async def _run(
    conv: Conversation, classifier: Classifier, settings: Settings | None
) -> list[tuple[str | None, str, bool]]:
    world = await SandboxedService(classifier, settings=settings, collect=False).start()
    try:
        session = await world.service.open_session(conv.channel)
        out = []
        for turn in conv.turns:
            result = await world.service.handle(
                InboundMessage(
                    session.id, turn.text, conv.channel, identity_email=conv.identity_email
                )
            )
            reply = "\n\n".join(r.text for r in result.replies)
            out.append((result.intent, reply, result.escalated))
        return out
    finally:
        await world.aclose()


async def replay(
    conversations: Sequence[Conversation],
    classifier: Classifier,
    *,
    baseline: Classifier | None = None,
    settings: Settings | None = None,
) -> ReplayReport:
    """Run every conversation through ``classifier`` and the scripts; diff each turn
    against the file's ``intent``/``expect``, or against ``baseline``'s run when given.
    ``settings`` are the shop's (policy, templates); default: the shipped ones."""
    diffs: list[TurnDiff] = []
    for n, conv in enumerate(conversations, 1):
        name = conv.id or str(n)
        after = await _run(conv, classifier, settings)
        if baseline is not None:
            before = [(i, r) for i, r, _ in await _run(conv, baseline, settings)]
        else:
            before = [(t.intent, t.expect) for t in conv.turns]
        for k, (turn, (intent, reply, escalated), (was, said)) in enumerate(
            zip(conv.turns, after, before, strict=True), 1
        ):
            diffs.append(
                TurnDiff(
                    name, k, turn.text, was, intent, said, reply, escalated, baseline is not None
                )
            )
    return ReplayReport(tuple(diffs))
