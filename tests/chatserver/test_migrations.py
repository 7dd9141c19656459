"""Upgrading a version-3 database with data in it, on SQLite and PostgreSQL.

The database is built by the migration steps 1 to 3 (the frozen tables of
``chatserver.storage.schema_v3``) and filled through those old tables; then the server's
storage starts on it and migrates to the newest version. Every fact must survive, with
the right types, and the schema must be the one a fresh database gets.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from chatserver.storage import SqlStorage, TicketJob, TicketTurn, tables
from chatserver.storage import schema_v3 as v3
from chatserver.storage.migrations import LATEST, migrate

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
T0 = 1764082800.123456  # a float Unix time with microseconds, as time.time() gives


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC)


def _fill(conn: sa.Connection) -> None:
    """A version-3 database as the old code left it."""
    state = {"script": None}
    for sid, channel, ref in (("chat-1", "chat", None), ("mail-1", "email", "501")):
        conn.execute(
            v3.sessions.insert().values(
                id=sid, channel=channel, external_ref=ref, state=state, slots={},
                tags=["bot_answered"], created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
    rows = [
        # id, session, sender, text, intent, confidence, label
        (1, "chat-1", "customer", "where is #1001? ann@example.com", "track_order", 0.91, None),
        (2, "chat-1", "bot", "It shipped.", None, None, None),
        (3, "chat-1", "customer", "/affirm", "affirm", 1.0, None),  # a button: never logged
        (4, "chat-1", "customer", "my parcel is late", "track_order", 0.4, "order_status"),
        (5, "chat-1", "customer", "call me on (555) 123-4567", None, 0.2, "human_agent"),
        (6, "mail-1", "customer", "Has it shipped?", "track_order", 0.8, "track_order"),
        (7, "chat-1", "customer", "before the log existed", "greeting", 0.7, None),
        (8, "chat-1", "customer", "deleted", None, None, None),
    ]
    for mid, sid, sender, text, intent, confidence, label in rows:
        inserted = conn.execute(
            v3.messages.insert().values(
                session_id=sid, sender=sender, text=text, intent=intent,
                confidence=confidence, label=label, created_at=NOW + timedelta(seconds=mid),
            )
        ).inserted_primary_key[0]  # fmt: skip
        assert inserted == mid
    conn.execute(v3.messages.delete().where(v3.messages.c.id == 8))
    logged = [
        # message, intent, confidence, label (4: the second write of the label was lost)
        (1, "track_order", 0.91, None),
        (4, "track_order", 0.4, "track_order"),
        (5, None, 0.2, None),
        (6, "track_order", 0.8, "track_order"),
    ]
    for mid, intent, confidence, label in logged:
        conn.execute(
            v3.predictions.insert().values(
                message_id=mid, session_id="mail-1" if mid == 6 else "chat-1",
                channel="email" if mid == 6 else "chat", text=f"masked {mid}", intent=intent,
                confidence=confidence, ranking=[[intent or "out_of_scope", confidence]],
                escalate=confidence < 0.5, reason=None, model_version="m3",
                outcome="answered", label=label, labelled_by="alex" if label else None,
                labelled_at=NOW if label else None, reviewed="accepted" if label else None,
                created_at=NOW + timedelta(seconds=mid),
            )
        )  # fmt: skip
    conn.execute(
        v3.events.insert(),
        [
            {"ticket_id": 501, "comment_id": 9001, "event": "ticket_created",
             "dedupe_key": "501:9001", "body": "{}", "received_ts": T0, "processed_ts": T0 + 2},
            {"ticket_id": 502, "comment_id": 9002, "event": "comment_added",
             "dedupe_key": "502:9002", "body": "{}", "received_ts": T0 + 5, "processed_ts": None},
        ],
    )  # fmt: skip
    conn.execute(
        v3.tickets.insert(),
        [
            {"ticket_id": 501, "status": "idle", "generation": 1, "claimed_generation": 1,
             "lease_owner": None, "lease_until": None, "available_ts": T0 + 2, "attempts": 0},
            {"ticket_id": 502, "status": "working", "generation": 1, "claimed_generation": 1,
             "lease_owner": "dead-worker", "lease_until": T0 + 65, "available_ts": T0 + 5,
             "attempts": 1},
        ],
    )  # fmt: skip
    conn.execute(
        v3.answered.insert().values(
            ticket_id=501, comment_id=9001, outcome="replied", reason="track_order",
            outbox_id=2, created_ts=T0 + 1,
        )
    )  # fmt: skip
    conn.execute(
        v3.outbox.insert(),
        [
            {"ticket_id": 501, "kind": kind, "body": body, "answers_comment_id": 9001,
             "author_id": 7, "group_id": None, "tags": tags, "status": status, "attempts": 1,
             "available_ts": T0 + 1, "created_ts": T0 + 1, "sent_ts": sent}
            for kind, body, tags, status, sent in (
                ("tag", "", ["bot_auto_reply"], "sent", T0 + 1.5),
                ("reply", "It shipped ✓", ["bot_answered", "intent_track_order"], "sent", T0 + 3),
                ("reply", "deleted later", [], "pending", None),
            )
        ],
    )  # fmt: skip
    conn.execute(v3.outbox.delete().where(v3.outbox.c.id == 3))


async def version_3_database(url: str) -> None:
    engine = create_async_engine(url)
    try:
        assert await migrate(engine, target=3) == 3
        async with engine.begin() as conn:
            await conn.run_sync(_fill)
    finally:
        await engine.dispose()


@pytest.fixture
async def upgraded(database_url):
    await version_3_database(database_url)
    storage = SqlStorage(database_url)
    await storage.start()  # migrates to the newest version
    yield storage
    await storage.aclose()


async def test_messages_keep_what_was_said_and_show_their_prediction(upgraded):
    chat = {m.id: m for m in await upgraded.messages_since("chat-1")}
    assert sorted(chat) == [1, 2, 3, 4, 5, 7]
    first = chat[1]
    assert (first.text, first.intent, first.confidence, first.label) == (
        "where is #1001? ann@example.com", "track_order", 0.91, None,
    )  # fmt: skip
    assert first.ts == NOW + timedelta(seconds=1) and first.ts.tzinfo is not None
    assert (chat[2].sender, chat[2].intent, chat[2].label) == ("bot", None, None)
    # The label the old code wrote to the message but lost on its way to the log wins.
    assert (chat[4].intent, chat[4].label) == ("track_order", "order_status")
    [mail] = await upgraded.messages_since("mail-1")
    assert (mail.intent, mail.label) == ("track_order", "track_order")


async def test_every_customer_message_with_a_fact_has_its_prediction_row(upgraded):
    log = upgraded.predictions
    relabelled = await log.get(4)
    assert (relabelled.label, relabelled.reviewed, relabelled.text) == (
        "order_status", "pending", "masked 4",
    )  # fmt: skip
    kept = await log.get(6)
    assert (kept.label, kept.reviewed, kept.labelled_by, kept.labelled_at) == (
        "track_order", "accepted", "alex", NOW,
    )  # fmt: skip
    assert kept.classified and kept.ranking == (("track_order", 0.8),)
    button = await log.get(3)
    assert (button.intent, button.confidence, button.classified) == ("affirm", 1.0, False)
    early = await log.get(7)
    assert (early.intent, early.confidence, early.classified) == ("greeting", 0.7, True)
    assert early.text == "before the log existed" and early.channel == "chat"
    assert early.created_at == NOW + timedelta(seconds=7)
    assert await log.get(2) is None  # the bot's words are not predictions
    assert [p.message_id for p in await log.labelled(["pending"])] == [4, 5]
    # The review queue and export read from the one place.
    assert {p.message_id for p in await log.labelled(["accepted"])} == {6}


async def test_zendesk_times_become_timestamps_with_every_row_kept(upgraded):
    queue = upgraded.zendesk
    rows = await queue.outbox_rows(501)
    assert [(r.id, r.kind, r.status, r.tags) for r in rows] == [
        (1, "tag", "sent", ("bot_auto_reply",)),
        (2, "reply", "sent", ("bot_answered", "intent_track_order")),
    ]
    assert rows[1].body == "It shipped ✓" and rows[1].created_at == at(1)
    assert all(r.created_at.tzinfo is not None for r in rows)
    assert await queue.handled_comments(501) == {9001}
    assert await queue.replies_since(501, at(0)) == 1
    assert await queue.replies_since(501, at(2)) == 0

    def read(conn: sa.Connection):
        events = conn.execute(tables.events.select().order_by(tables.events.c.id)).all()
        tickets = conn.execute(tables.tickets.select().order_by(tables.tickets.c.ticket_id)).all()
        sent = conn.execute(sa.select(tables.outbox.c.sent_at).order_by(tables.outbox.c.id))
        done = conn.execute(sa.select(tables.answered.c.created_at)).scalar()
        return events, tickets, sent.scalars().all(), done

    events, tickets, sent, done = await upgraded.database.read(read)
    assert [(_utc(e.received_at), e.processed_at and _utc(e.processed_at)) for e in events] == [
        (at(0), at(2)),
        (at(5), None),
    ]
    assert [_utc(t) for t in sent] == [at(1.5), at(3)] and _utc(done) == at(1)
    assert (tickets[1].lease_owner, _utc(tickets[1].lease_until)) == ("dead-worker", at(65))

    # The queue works on the upgraded tables: the dead worker's lease expires ...
    assert await queue.claim_ticket("w", 60, now=at(64)) is None
    job = await queue.claim_ticket("w", 60, now=at(66))
    assert job == TicketJob(502, "w", 2, 2)
    # ... and a new outbox row never takes an id used before the upgrade.
    assert await queue.commit_turn(TicketTurn(job, (9002,), "skipped"), now=at(70))
    turn = TicketTurn(job, (), "skipped", (_tag(9002),))
    assert await queue.commit_turn(turn, now=at(71))
    assert [r.id for r in await queue.outbox_rows(502)] == [4]


async def test_the_schema_is_the_one_a_fresh_database_gets(upgraded):
    def shape(conn: sa.Connection) -> tuple[dict[str, list], dict[str, list]]:
        inspector = sa.inspect(conn)
        columns, indexes = {}, {}
        for table in tables.metadata.sorted_tables:
            columns[table.name] = [
                (c["name"], bool(c["nullable"]), c["type"]._type_affinity,
                 bool(getattr(c["type"], "timezone", False)))
                for c in inspector.get_columns(table.name)
            ]  # fmt: skip
            indexes[table.name] = sorted(
                (i["name"], tuple(i["column_names"]))
                for i in inspector.get_indexes(table.name)
                if "duplicates_constraint" not in i
            )
        return columns, indexes

    columns, indexes = await upgraded.database.read(shape)
    postgres = upgraded.database.dialect == "postgresql"
    for table in tables.metadata.sorted_tables:
        expected = [
            (c.name, bool(c.nullable), c.type._type_affinity,
             postgres and bool(getattr(c.type, "timezone", False)))
            for c in table.c
        ]  # fmt: skip
        assert columns[table.name] == expected, table.name
        wanted = sorted((i.name, tuple(c.name for c in i.columns)) for i in table.indexes)
        assert indexes[table.name] == wanted, table.name
    read = sa.select(sa.func.max(tables.schema_version.c.version))
    assert await upgraded.database.read(lambda conn: conn.scalar(read)) == LATEST


def _tag(comment_id: int):
    from chatserver.storage import OutboxItem

    return OutboxItem("tag", "", comment_id, tags=("bot_auto_reply",))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
