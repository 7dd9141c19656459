"""SQL storage on SQLAlchemy 2 async Core: SQLite (aiosqlite) by default, PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from chatserver.dialogue.state import DialogueState
from chatserver.storage.predictions import Prediction, prediction_upsert
from chatserver.storage.reconnect import reconnecting, watch
from chatserver.storage.records import QuickReply, Session, StoredMessage
from chatserver.storage.schema import messages, migrate, sessions

__all__ = ["SqlStorage", "sqlite_pragmas"]

T = TypeVar("T")

SQLITE_BUSY_MS = 5000  # a writer waits this long for another's lock before failing

# The turn's statements, built once: values come as execute() parameters, so SQLAlchemy
# compiles each once and a turn does not pay for building and cache-keying them.
_SESSION = sessions.select().where(sessions.c.id == sa.bindparam("b_id"))
_UPDATE_SESSION = sessions.update().where(sessions.c.id == sa.bindparam("b_id"))
_INSERT_SESSION = sessions.insert()
_INSERT_MESSAGE = messages.insert()
_INSERT_MESSAGES = messages.insert().returning(messages.c.id, sort_by_parameter_order=True)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite keeps a datetime's wall clock and drops its offset, so every time is converted
# to UTC before it is written; PostgreSQL (timestamptz) would do that itself.
_utc = _aware


def sqlite_pragmas(*, wal: bool) -> Any:
    """A "connect" listener: WAL journal with ``synchronous=NORMAL`` and a busy timeout.

    WAL lets readers run beside the writer, and NORMAL syncs the log at checkpoints
    instead of at every commit: a process crash loses nothing committed, a power cut or
    an OS crash can lose the last transactions (docs/deployment.md).
    """

    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        finally:
            cursor.close()

    return on_connect


class SqlStorage:
    """Sessions and messages in one SQL database, addressed by a SQLAlchemy URL.

    Args:
        url: e.g. ``sqlite+aiosqlite:///var/chatbot.sqlite3`` or
            ``postgresql+asyncpg://user:pw@host/db``. ``sqlite+aiosqlite://`` is in memory.
    """

    def __init__(self, url: str) -> None:
        self.url = sa.make_url(url)
        self._engine: AsyncEngine | None = None
        # SQLite file: the turn's transactions run whole in one thread (see _transaction).
        self._sqlite: sa.Engine | None = None
        self._sqlite_thread: ThreadPoolExecutor | None = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("storage not started")
        return self._engine

    async def start(self) -> None:
        options: dict[str, Any] = {}
        backend = self.url.get_backend_name()
        in_memory = not self.url.database or self.url.database == ":memory:"
        if backend == "sqlite":
            if in_memory:
                options["poolclass"] = StaticPool
            else:
                Path(self.url.database or "").parent.mkdir(parents=True, exist_ok=True)
        self._engine = create_async_engine(self.url, **options)
        if backend == "sqlite":
            sa.event.listen(self._engine.sync_engine, "connect", sqlite_pragmas(wal=not in_memory))
        else:
            # A restart leaves dead connections in the pool: see storage.reconnect.
            watch(self._engine)
        await migrate(self._engine)
        if backend == "sqlite" and not in_memory:
            self._sqlite = sa.create_engine(self.url.set(drivername="sqlite"))
            sa.event.listen(self._sqlite, "connect", sqlite_pragmas(wal=True))
            self._sqlite_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-turns")

    async def aclose(self) -> None:
        if self._sqlite is not None and self._sqlite_thread is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._sqlite_thread, self._sqlite.dispose)
            self._sqlite_thread.shutdown()
            self._sqlite = self._sqlite_thread = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def _transaction(self, work: Callable[[sa.Connection], T]) -> T:
        """Run ``work`` in one transaction.

        On a SQLite file it runs whole in the store's thread: one hop there and back,
        where aiosqlite makes three or four per statement (cursor, execute, fetch,
        close), which cost a turn more than SQLite's own work. Elsewhere it runs on the
        async engine (``run_sync``).
        """
        if self._sqlite is not None:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._sqlite_thread, self._in_sqlite, work)
        async with self.engine.begin() as conn:
            return await conn.run_sync(work)

    def _in_sqlite(self, work: Callable[[sa.Connection], T]) -> T:
        assert self._sqlite is not None
        with self._sqlite.begin() as conn:
            return work(conn)

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

    @reconnecting
    async def create_session(self, session: Session) -> None:
        values = {"id": session.id, **self._session_values(session)}
        await self._transaction(lambda conn: conn.execute(_INSERT_SESSION, values))

    @reconnecting
    async def get_session(self, session_id: str) -> Session | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(_SESSION, {"b_id": session_id})).first()
        return self._session(row) if row else None

    @reconnecting
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

    @reconnecting
    async def save_session(self, session: Session) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                _UPDATE_SESSION, {"b_id": session.id, **self._session_values(session)}
            )

    @reconnecting
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

    @staticmethod
    def _message_values(
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
    ) -> dict[str, Any]:
        return {
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

    @staticmethod
    def _stored(message_id: int, values: dict[str, Any]) -> StoredMessage:
        return StoredMessage(
            id=message_id,
            session_id=values["session_id"],
            ts=values["created_at"],
            sender=values["sender"],
            text=values["text"],
            quick_replies=tuple(QuickReply(**q) for q in values["quick_replies"] or ()),
            intent=values["intent"],
            confidence=values["confidence"],
            client_message_id=values["client_message_id"],
            agent_name=values["agent_name"],
        )

    @reconnecting
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
        values = self._message_values(
            session_id, sender, text, at=at, quick_replies=quick_replies, intent=intent,
            confidence=confidence, client_message_id=client_message_id, agent_name=agent_name,
        )  # fmt: skip
        async with self.engine.begin() as conn:
            result = await conn.execute(_INSERT_MESSAGE, values)
            message_id = result.inserted_primary_key[0]
        return self._stored(message_id, values)

    @reconnecting
    async def start_turn(
        self,
        session_id: str,
        text: str,
        *,
        at: datetime,
        intent: str | None = None,
        confidence: float | None = None,
        client_message_id: str | None = None,
    ) -> tuple[Session, StoredMessage] | None:
        """Read the session and store the customer's message in it, in one transaction.

        None, and nothing stored, when there is no such session.
        """
        values = self._message_values(
            session_id, "customer", text, at=at, intent=intent, confidence=confidence,
            client_message_id=client_message_id,
        )  # fmt: skip

        def work(conn: sa.Connection) -> tuple[sa.Row[Any], int] | None:
            row = conn.execute(_SESSION, {"b_id": session_id}).first()
            if row is None:
                return None
            return row, conn.execute(_INSERT_MESSAGE, values).inserted_primary_key[0]

        done = await self._transaction(work)
        if done is None:
            return None
        row, message_id = done
        return self._session(row), self._stored(message_id, values)

    @reconnecting
    async def finish_turn(
        self,
        session: Session,
        replies: Sequence[tuple[str, Sequence[QuickReply]]],
        *,
        at: datetime,
        prediction: Prediction | None = None,
    ) -> list[StoredMessage]:
        """Store a turn's bot replies, the session they leave and the turn's prediction,
        in one transaction.

        Either the whole answer is stored or none of it: a process that dies mid-turn
        leaves the customer's message unanswered, for ``chatserver.ops.recovery`` to answer.
        """
        rows = [
            self._message_values(session.id, "bot", text, at=at, quick_replies=quick_replies)
            for text, quick_replies in replies
        ]
        session_values = {"b_id": session.id, **self._session_values(session)}
        prediction_values = prediction.values() if prediction is not None else None

        def work(conn: sa.Connection) -> Sequence[int]:
            ids: Sequence[int] = ()
            if rows:
                # One INSERT ... RETURNING for all the replies, ids in the rows' order.
                ids = conn.execute(_INSERT_MESSAGES, rows).scalars().all()
            conn.execute(_UPDATE_SESSION, session_values)
            if prediction_values is not None:
                conn.execute(prediction_upsert(conn.dialect.name), prediction_values)
            return ids

        ids = await self._transaction(work)
        return [self._stored(i, values) for i, values in zip(ids, rows, strict=True)]

    @reconnecting
    async def messages_since(
        self, session_id: str, after_id: int | None = None
    ) -> list[StoredMessage]:
        query = messages.select().where(messages.c.session_id == session_id)
        if after_id is not None:
            query = query.where(messages.c.id > after_id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(messages.c.id))).all()
        return [self._message(r) for r in rows]

    @reconnecting
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

    @reconnecting
    async def get_message(self, message_id: int) -> StoredMessage | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(messages.select().where(messages.c.id == message_id))).first()
        return self._message(row) if row else None

    @reconnecting
    async def label_message(self, message_id: int, intent: str) -> StoredMessage | None:
        async with self.engine.begin() as conn:
            await conn.execute(
                messages.update().where(messages.c.id == message_id).values(label=intent)
            )
        return await self.get_message(message_id)
