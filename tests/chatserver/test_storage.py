"""The store behaves the same on SQLite and PostgreSQL: ids, JSON columns, times, upgrades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa

from chatserver.dialogue.state import DialogueState
from chatserver.storage import QuickReply, Session, SqlStorage
from chatserver.storage.schema import MIGRATIONS, migrate, schema_version

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


async def started(url: str) -> SqlStorage:
    storage = SqlStorage(url)
    await storage.start()
    return storage


async def test_message_ids_grow_across_sessions_and_are_not_reused(database_url):
    storage = await started(database_url)
    try:
        for sid in ("a", "b"):
            await storage.create_session(
                Session(id=sid, channel="chat", created_at=NOW, updated_at=NOW)
            )
        ids = [
            (await storage.add_message(sid, "customer", f"m{i}", at=NOW + timedelta(seconds=i))).id
            for i, sid in enumerate("abab")
        ]
        assert ids == sorted(ids) and len(set(ids)) == 4
        assert [m.id for m in await storage.messages_since("a")] == [ids[0], ids[2]]
        assert [m.id for m in await storage.messages_since("a", ids[0])] == [ids[2]]
        async with storage.engine.begin() as conn:
            await conn.execute(sa.text("DELETE FROM messages WHERE id = :id"), {"id": ids[-1]})
        again = await storage.add_message("a", "bot", "after a delete", at=NOW)
        assert again.id > ids[-1]
        last = await storage.last_messages(["a", "b"])
        assert last["a"].id == again.id and last["b"].id == ids[1]
    finally:
        await storage.aclose()


async def test_json_columns_and_times_round_trip(database_url):
    storage = await started(database_url)
    try:
        state = DialogueState()
        session = Session(
            id="s1", channel="email", created_at=NOW, updated_at=NOW, external_ref="42",
            state=state, tags=("bot_answered", "intent_track_order", "ünïcode ✓"),
        )  # fmt: skip
        await storage.create_session(session)
        loaded = await storage.get_session("s1")
        assert loaded is not None
        assert loaded.tags == session.tags and loaded.state == state
        assert loaded.created_at == NOW and loaded.created_at.tzinfo is not None

        later = datetime(2026, 11, 25, 11, 0, tzinfo=timezone(timedelta(hours=-5)))
        quick = (QuickReply("Yes ✓", '/affirm{"x": [1, null, "é"]}'), QuickReply("No", "/deny"))
        message = await storage.add_message(
            "s1", "bot", "naïve? no: «aware»", at=later, quick_replies=quick, confidence=0.5
        )
        (stored,) = await storage.messages_since("s1")
        assert stored == message
        assert stored.ts == later and stored.ts.utcoffset() == timedelta(0)
        assert (await storage.find_session("email", "42")).id == "s1"
        assert (await storage.label_message(message.id, "track_order")).label == "track_order"
        assert await storage.get_message(message.id + 1000) is None
    finally:
        await storage.aclose()


async def test_migrations_run_once_and_record_their_version(database_url):
    storage = await started(database_url)
    try:
        assert await migrate(storage.engine) == MIGRATIONS[-1][0]
        async with storage.engine.connect() as conn:
            versions = (await conn.scalars(sa.select(schema_version.c.version))).all()
        assert sorted(versions) == [v for v, _, _ in MIGRATIONS]
    finally:
        await storage.aclose()
    again = await started(database_url)  # a second process starting on the same database
    await again.aclose()
