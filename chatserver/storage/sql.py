"""SQL storage on SQLAlchemy 2 async Core: SQLite (aiosqlite) by default, PostgreSQL (asyncpg)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from chatserver.dialogue.state import DialogueState
from chatserver.storage.records import QuickReply, Session, StoredMessage
from chatserver.storage.schema import messages, migrate, sessions

__all__ = ["SqlStorage"]


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite keeps a datetime's wall clock and drops its offset, so every time is converted
# to UTC before it is written; PostgreSQL (timestamptz) would do that itself.
_utc = _aware


class SqlStorage:
    """Sessions and messages in one SQL database, addressed by a SQLAlchemy URL.

    Args:
        url: e.g. ``sqlite+aiosqlite:///var/chatbot.sqlite3`` or
            ``postgresql+asyncpg://user:pw@host/db``. ``sqlite+aiosqlite://`` is in memory.
    """

    def __init__(self, url: str) -> None:
        self.url = sa.make_url(url)
        self._engine: AsyncEngine | None = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("storage not started")
        return self._engine

    async def start(self) -> None:
        options: dict[str, Any] = {}
        if self.url.get_backend_name() == "sqlite":
            database = self.url.database
            if not database or database == ":memory:":
                options["poolclass"] = StaticPool
            else:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        else:
            # A database restart leaves dead connections in the pool: test each before use.
            options["pool_pre_ping"] = True
        self._engine = create_async_engine(self.url, **options)
        await migrate(self._engine)

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    # --- sessions -----------------------------------------------------------

    @staticmethod
    def _session_values(s: Session) -> dict[str, Any]:
        return {
            "channel": s.channel,
            "external_ref": s.external_ref,
            "owner": s.owner,
            "status": s.status,
            "agent": s.agent,
            "state": s.state.to_json(),
            "slots": asdict(s.state.slots),
            "escalation_reason": s.escalation_reason,
            "summary": s.summary,
            "customer_email": s.customer_email,
            "order_name": s.order,
            "tags": list(s.tags),
            "created_at": _utc(s.created_at),
            "updated_at": _utc(s.updated_at),
        }

    @staticmethod
    def _session(row: sa.Row[Any]) -> Session:
        return Session(
            id=row.id,
            channel=row.channel,
            external_ref=row.external_ref,
            owner=row.owner,
            status=row.status,
            agent=row.agent,
            state=DialogueState.from_json(row.state),
            escalation_reason=row.escalation_reason,
            summary=row.summary or "",
            customer_email=row.customer_email,
            order=row.order_name,
            tags=tuple(row.tags or ()),
            created_at=_aware(row.created_at),
            updated_at=_aware(row.updated_at),
        )

    async def create_session(self, session: Session) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                sessions.insert().values(id=session.id, **self._session_values(session))
            )

    async def get_session(self, session_id: str) -> Session | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sessions.select().where(sessions.c.id == session_id))).first()
        return self._session(row) if row else None

    async def find_session(self, channel: str, external_ref: str) -> Session | None:
        query = (
            sessions.select()
            .where(sessions.c.channel == channel, sessions.c.external_ref == external_ref)
            .order_by(sessions.c.created_at.desc())
            .limit(1)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return self._session(row) if row else None

    async def save_session(self, session: Session) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                sessions.update()
                .where(sessions.c.id == session.id)
                .values(**self._session_values(session))
            )

    async def list_sessions(self, statuses: Iterable[str] | None = None) -> list[Session]:
        query = sessions.select().order_by(sessions.c.updated_at.desc())
        if statuses is not None:
            query = query.where(sessions.c.status.in_(list(statuses)))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [self._session(r) for r in rows]

    # --- messages -----------------------------------------------------------

    @staticmethod
    def _message(row: sa.Row[Any]) -> StoredMessage:
        return StoredMessage(
            id=row.id,
            session_id=row.session_id,
            ts=_aware(row.created_at),
            sender=row.sender,
            text=row.text,
            quick_replies=tuple(
                QuickReply(q["title"], q["payload"]) for q in row.quick_replies or ()
            ),
            intent=row.intent,
            confidence=row.confidence,
            client_message_id=row.client_message_id,
            agent_name=row.agent_name,
            label=row.label,
        )

    async def add_message(
        self,
        session_id: str,
        sender: str,
        text: str,
        *,
        at: datetime,
        quick_replies: Sequence[QuickReply] = (),
        intent: str | None = None,
        confidence: float | None = None,
        client_message_id: str | None = None,
        agent_name: str | None = None,
    ) -> StoredMessage:
        values = {
            "session_id": session_id,
            "sender": sender,
            "text": text,
            "quick_replies": [asdict(q) for q in quick_replies] or None,
            "intent": intent,
            "confidence": confidence,
            "client_message_id": client_message_id,
            "agent_name": agent_name,
            "created_at": _utc(at),
        }
        async with self.engine.begin() as conn:
            result = await conn.execute(messages.insert().values(**values))
            message_id = result.inserted_primary_key[0]
        return StoredMessage(
            id=message_id,
            session_id=session_id,
            ts=_aware(at),
            sender=sender,
            text=text,
            quick_replies=tuple(quick_replies),
            intent=intent,
            confidence=confidence,
            client_message_id=client_message_id,
            agent_name=agent_name,
        )

    async def finish_turn(
        self, session: Session, replies: Sequence[tuple[str, Sequence[QuickReply]]], *, at: datetime
    ) -> list[StoredMessage]:
        """Store a turn's bot replies and the session they leave, in one transaction.

        Either the whole answer is stored or none of it: a process that dies mid-turn
        leaves the customer's message unanswered, for ``chatserver.recovery`` to answer.
        """
        stored = []
        async with self.engine.begin() as conn:
            for text, quick_replies in replies:
                result = await conn.execute(
                    messages.insert().values(
                        session_id=session.id, sender="bot", text=text, created_at=_utc(at),
                        quick_replies=[asdict(q) for q in quick_replies] or None,
                    )
                )  # fmt: skip
                stored.append(
                    StoredMessage(
                        id=result.inserted_primary_key[0], session_id=session.id, ts=_aware(at),
                        sender="bot", text=text, quick_replies=tuple(quick_replies),
                    )
                )  # fmt: skip
            await conn.execute(
                sessions.update()
                .where(sessions.c.id == session.id)
                .values(**self._session_values(session))
            )
        return stored

    async def messages_since(
        self, session_id: str, after_id: int | None = None
    ) -> list[StoredMessage]:
        query = messages.select().where(messages.c.session_id == session_id)
        if after_id is not None:
            query = query.where(messages.c.id > after_id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(messages.c.id))).all()
        return [self._message(r) for r in rows]

    async def last_messages(self, session_ids: Iterable[str]) -> dict[str, StoredMessage]:
        ids = list(session_ids)
        if not ids:
            return {}
        newest = (
            sa.select(sa.func.max(messages.c.id))
            .where(messages.c.session_id.in_(ids))
            .group_by(messages.c.session_id)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(messages.select().where(messages.c.id.in_(newest)))).all()
        return {r.session_id: self._message(r) for r in rows}

    async def get_message(self, message_id: int) -> StoredMessage | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(messages.select().where(messages.c.id == message_id))).first()
        return self._message(row) if row else None

    async def label_message(self, message_id: int, intent: str) -> StoredMessage | None:
        async with self.engine.begin() as conn:
            await conn.execute(
                messages.update().where(messages.c.id == message_id).values(label=intent)
            )
        return await self.get_message(message_id)
