"""The store behaves the same on SQLite and PostgreSQL: ids, JSON columns, times, a turn's
one transaction, and a turn run again after a crash."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from chatserver.dialogue.state import DialogueState
from chatserver.storage import (
    OutboxItem,
    Prediction,
    QuickReply,
    Session,
    SqlStorage,
    TicketTurn,
    TurnTaken,
)
from chatserver.storage.migrations import LATEST, MIGRATIONS
from chatserver.storage.tables import schema_version

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


async def started(url: str) -> SqlStorage:
    storage = SqlStorage(url)
    await storage.start()
    return storage


@pytest.fixture
async def storage(database_url):
    storage = await started(database_url)
    yield storage
    await storage.aclose()


def prediction(message, intent="track_order", confidence=0.9, outcome="answered") -> Prediction:
    return Prediction(
        message_id=message.id, session_id=message.session_id, channel="chat",
        text=message.text, intent=intent, confidence=confidence, ranking=((intent, confidence),),
        escalate=False, reason=None, model_version="m1", outcome=outcome, created_at=message.ts,
    )  # fmt: skip


async def new_session(storage: SqlStorage, sid: str = "s1", channel: str = "chat") -> Session:
    session = Session(id=sid, channel=channel, created_at=NOW, updated_at=NOW)
    await storage.create_session(session)
    return session


async def test_message_ids_grow_across_sessions_and_are_not_reused(storage):
    for sid in ("a", "b"):
        await new_session(storage, sid)
    ids = [
        (await storage.add_message(sid, "customer", f"m{i}", at=NOW + timedelta(seconds=i))).id
        for i, sid in enumerate("abab")
    ]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert [m.id for m in await storage.messages_since("a")] == [ids[0], ids[2]]
    assert [m.id for m in await storage.messages_since("a", ids[0])] == [ids[2]]
    delete = sa.text("DELETE FROM messages WHERE id = :id")
    await storage.database.write(lambda conn: conn.execute(delete, {"id": ids[-1]}))
    again = await storage.add_message("a", "bot", "after a delete", at=NOW)
    assert again.id > ids[-1]
    last = await storage.last_messages(["a", "b"])
    assert last["a"].id == again.id and last["b"].id == ids[1]


async def test_json_columns_and_times_round_trip(storage):
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
        "s1", "bot", "naïve? no: «aware»", at=later, quick_replies=quick
    )
    (stored,) = await storage.messages_since("s1")
    assert stored == message
    assert stored.ts == later and stored.ts.utcoffset() == timedelta(0)
    assert (await storage.find_session("email", "42")).id == "s1"
    assert await storage.get_message(message.id + 1000) is None


async def test_what_the_bot_understood_lives_in_the_prediction_row(storage):
    session = await new_session(storage)
    started_turn = await storage.start_turn(
        "s1", "where is #1001", at=NOW, intent="track_order", confidence=0.9
    )
    assert started_turn is not None
    _, customer = started_turn
    assert (customer.intent, customer.confidence) == ("track_order", 0.9)  # as the turn sees it
    assert (await storage.get_message(customer.id)).intent is None  # no turn finished yet
    await storage.finish_turn(
        session, [("It shipped.", ())], at=NOW, prediction=prediction(customer)
    )
    read = await storage.get_message(customer.id)
    assert (read.intent, read.confidence, read.label) == ("track_order", 0.9, None)

    labelled = await storage.label_message(customer.id, "order_status", by="alex", at=NOW)
    assert (labelled.intent, labelled.label) == ("track_order", "order_status")
    logged = await storage.predictions.get(customer.id)
    assert (logged.label, logged.labelled_by, logged.reviewed) == (
        "order_status",
        "alex",
        "pending",
    )
    assert logged.labelled_at == NOW
    [_, reply] = await storage.messages_since("s1")
    assert await storage.label_message(reply.id, "greeting") is None  # only customers' words


async def test_a_turn_is_stored_whole_or_not_at_all(storage):
    session = await new_session(storage, "mail", "email")
    _, customer = await storage.start_turn("mail", "hi", at=NOW)
    await storage.zendesk.record_event(7, 70, "ticket_created", None, "{}", now=NOW)
    job = await storage.zendesk.claim_ticket("w", 60, now=NOW)
    # Another worker already recorded an outcome for comment 70 ...
    assert await storage.zendesk.commit_turn(TicketTurn(job, (70,), "skipped"), now=NOW)
    reply = OutboxItem("reply", "Hello!", 70, author_id=1)
    with pytest.raises(TurnTaken):  # ... so this turn's answer is not stored at all
        await storage.finish_turn(
            replace(session, summary="changed"),
            [("Hello!", ())],
            at=NOW,
            prediction=prediction(customer),
            ticket=TicketTurn(job, (70,), "replied", (reply,)),
        )
    assert [m.sender for m in await storage.messages_since("mail")] == ["customer"]
    assert (await storage.get_session("mail")).summary == ""
    assert await storage.predictions.get(customer.id) is None
    assert await storage.zendesk.outbox_rows(7) == []


async def test_an_unfinished_turn_is_run_again_on_the_same_message(storage):
    session = await new_session(storage, "mail", "email")
    _, first = await storage.start_turn("mail", "hi", at=NOW, client_message_id="zd:1:10")
    # the process died here; the same turn comes again, with a comment added meanwhile
    later = NOW + timedelta(minutes=1)
    _, again = await storage.start_turn(
        "mail", "hi\n\nand #1001?", at=later, client_message_id="zd:1:10"
    )
    assert again.id == first.id and again.ts == NOW and again.text == "hi\n\nand #1001?"
    await storage.finish_turn(session, [("Answer", ())], at=later, prediction=prediction(again))
    # once finished, the same client id is a new message (a chat widget resending)
    _, third = await storage.start_turn("mail", "hi", at=later, client_message_id="zd:1:10")
    assert third.id != first.id
    assert [m.text for m in await storage.messages_since("mail")] == [
        "hi\n\nand #1001?", "Answer", "hi",
    ]  # fmt: skip


async def test_zendesk_times_are_aware_timestamps(storage):
    queue = storage.zendesk
    assert await queue.record_event(9, 90, "ticket_created", "inv", "{}", now=NOW)
    assert not await queue.record_event(9, 90, "ticket_created", "inv", "{}", now=NOW)
    assert await queue.next_due() == NOW
    assert await queue.claim_ticket("w", 60, now=NOW - timedelta(seconds=1)) is None  # not due
    job = await queue.claim_ticket("w", 60, now=NOW)
    assert await queue.next_due() == NOW + timedelta(seconds=60)  # the lease's end
    item = OutboxItem("reply", "Hi", 90, author_id=1, tags=("bot_answered",))
    assert await queue.commit_turn(TicketTurn(job, (90,), "replied", (item,)), now=NOW)
    await queue.release_ticket(job, now=NOW)
    [row] = await queue.outbox_rows(9)
    assert row.created_at == NOW and row.created_at.tzinfo is not None
    assert await queue.replies_since(9, NOW - timedelta(hours=1)) == 1
    assert await queue.replies_since(9, NOW + timedelta(seconds=1)) == 0
    claimed = await queue.claim_outbox("w", 30, now=NOW)
    later = NOW + timedelta(seconds=5)
    assert await queue.finish_outbox(claimed, "pending", now=later, retry_in=2.5)
    assert await queue.next_due() == later + timedelta(seconds=2.5)
    assert await queue.claim_outbox("w", 30, now=later + timedelta(seconds=2)) is None
    assert await queue.claim_outbox("w", 30, now=later + timedelta(seconds=3)) is not None


async def test_migrations_run_once_and_record_their_version(database_url):
    storage = await started(database_url)
    try:
        read = sa.select(schema_version.c.version)
        versions = await storage.database.read(lambda conn: conn.scalars(read).all())
        assert sorted(versions) == [v for v, _, _ in MIGRATIONS] and max(versions) == LATEST
    finally:
        await storage.aclose()
    again = await started(database_url)  # a second process starting on the same database
    await again.aclose()
