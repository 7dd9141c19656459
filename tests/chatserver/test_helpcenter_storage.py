"""The prediction log keeps the help-center article a message was answered with and what
came of it (migration 5), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from chatserver.storage import Prediction, Session, SqlStorage, tables
from chatserver.storage.migrations import LATEST, migrate

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
async def store(database_url):
    storage = SqlStorage(database_url)
    await storage.start()
    yield storage
    await storage.aclose()


async def answered_turn(store: SqlStorage, session: Session, text: str, minute: int, **article):
    message = await store.add_message(
        session.id, "customer", text, at=NOW + timedelta(minutes=minute)
    )
    prediction = Prediction(
        message_id=message.id, session_id=session.id, channel="chat", text=text, intent=None,
        confidence=0.1, ranking=(), escalate=True, reason="out_of_scope", model_version="m",
        outcome="answered", created_at=message.ts, **article,
    )  # fmt: skip
    await store.finish_turn(session, [("reply", ())], at=message.ts, prediction=prediction)
    return message


async def feedback_turn(store: SqlStorage, session: Session, text: str, minute: int, word: str):
    message = await store.add_message(
        session.id, "customer", text, at=NOW + timedelta(minutes=minute)
    )
    prediction = Prediction(
        message_id=message.id, session_id=session.id, channel="chat", text=text,
        intent="affirm", confidence=1.0, ranking=(), escalate=False, reason=None,
        model_version="payload", outcome="answered", created_at=message.ts, classified=False,
    )  # fmt: skip
    await store.finish_turn(
        session, [("ok", ())], at=message.ts, prediction=prediction, article_feedback=word
    )


async def test_feedback_lands_on_the_latest_article_answer_and_the_first_word_stays(store):
    session = Session(id="s-1", channel="chat", created_at=NOW, updated_at=NOW)
    await store.create_session(session)
    gift = {"article_id": "360000101206", "article_title": "Gift cards", "article_confidence": 0.95}
    first = await answered_turn(store, session, "gift cards?", 0, **gift)
    await feedback_turn(store, session, "/affirm", 1, "helped")
    merino = {"article_id": "360000101303", "article_title": "Merino", "article_confidence": 0.9}
    second = await answered_turn(store, session, "merino?", 2, **merino)
    await feedback_turn(store, session, "/deny", 3, "not_helped")
    await feedback_turn(store, session, "a person please", 4, "handed_off")  # "No" stays
    log = store.predictions
    assert (await log.get(first.id)).article_feedback == "helped"
    got = await log.get(second.id)
    assert (got.article_id, got.article_title, got.article_feedback) == (
        "360000101303", "Merino", "not_helped",
    )  # fmt: skip
    assert got.article_confidence == pytest.approx(0.9)
    queue = (await store.stats.activity(NOW - timedelta(days=1))).to_label
    assert [p.message_id for p in queue] == [second.id]  # the miss; not the one that helped


async def test_feedback_without_an_article_answer_changes_nothing(store):
    session = Session(id="s-2", channel="chat", created_at=NOW, updated_at=NOW)
    await store.create_session(session)
    plain = await answered_turn(store, session, "hello", 0)
    await feedback_turn(store, session, "/affirm", 1, "helped")
    assert (await store.predictions.get(plain.id)).article_feedback is None
    with pytest.raises(ValueError):
        await feedback_turn(store, session, "/affirm", 2, "loved it")


async def test_migration_6_keeps_every_logged_prediction(database_url):
    engine = create_async_engine(database_url)
    try:
        assert await migrate(engine, target=5) == 5
        async with engine.begin() as conn:  # a version-5 database with a labelled row
            await conn.execute(
                tables.sessions.insert().values(
                    id="s", channel="chat", state={}, slots={}, tags=[], created_at=NOW,
                    updated_at=NOW,
                )
            )  # fmt: skip
            await conn.execute(
                tables.messages.insert().values(
                    id=1, session_id="s", sender="customer", text="where is #1001", created_at=NOW
                )
            )
            await conn.execute(
                tables.predictions.insert().values(
                    message_id=1, session_id="s", channel="chat", text="where is <order>",
                    intent="track_order", confidence=0.9, ranking=[], escalate=False,
                    model_version="m4", outcome="answered", created_at=NOW, classified=True,
                    label="track_order", reviewed="accepted",
                )
            )  # fmt: skip
    finally:
        await engine.dispose()
    storage = SqlStorage(database_url)
    await storage.start()  # migrates 5 -> 6
    try:
        row = await storage.predictions.get(1)
        assert (row.intent, row.label, row.reviewed, row.model_version) == (
            "track_order", "track_order", "accepted", "m4",
        )  # fmt: skip
        assert (row.article_id, row.article_title, row.article_confidence) == (None, None, None)
        assert row.article_feedback is None
        version = sa.select(sa.func.max(tables.schema_version.c.version))
        assert await storage.database.read(lambda conn: conn.scalar(version)) == LATEST
    finally:
        await storage.aclose()
