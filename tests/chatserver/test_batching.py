"""Work batched across sessions: the turns of one loop tick share one model call and one
transaction, and nothing about a single turn changes: a reply exists only once its turn
is committed, a failed group stores (and so sends) none of its turns, and a session's
turns keep their order."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.service import InboundMessage
from chatserver.service.batching import Classifications
from chatserver.service.classifier import ModelHolder
from chatserver.storage import Session, SqlStorage
from tests.chatserver.harness import NOW, KeywordClassifier, World


@pytest.fixture
async def world(database_url):
    w = await World(database_url=database_url).start()
    yield w
    await w.aclose()


@pytest.fixture
async def storage(database_url):
    s = SqlStorage(database_url)
    await s.start()
    yield s
    await s.aclose()


class CountingClassifier(KeywordClassifier):
    """Keyword rules that also count the model calls and their sizes."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def parse_many(self, texts, channels):
        self.batches.append(len(texts))
        return [self.parse(t, c) for t, c in zip(texts, channels, strict=True)]


async def test_the_messages_of_one_tick_are_classified_in_one_call():
    model = CountingClassifier()
    classify = Classifications(ModelHolder(model))
    hello, track, button = await asyncio.gather(
        classify.understand("hello", "chat"),
        classify.understand("where is my order #1001", "chat"),
        classify.understand("/affirm", "chat"),  # a button's payload needs no model
    )
    assert model.batches == [2]
    assert (hello.intent, track.intent, button.intent) == ("greeting", "track_order", "affirm")
    assert track.entities == (("order_number", "#1001"),)
    assert not button.classified and hello.classified
    await classify.understand("thanks", "chat")  # a later tick: a call of its own
    assert model.batches == [2, 1]


async def test_a_failing_model_fails_every_message_of_its_batch():
    class Broken(CountingClassifier):
        def parse_many(self, texts, channels):
            raise RuntimeError("model file gone")

    classify = Classifications(ModelHolder(Broken()))
    results = await asyncio.gather(
        classify.understand("hello", "chat"),
        classify.understand("thanks", "chat"),
        return_exceptions=True,
    )
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]


async def test_two_sessions_turns_in_one_tick_are_committed_together(world):
    a, b = await world.chat(), await world.chat()
    group = world.storage.group_commit
    groups, writes = group.groups, group.writes
    hi, thanks = await asyncio.gather(a.send("hello"), b.send("thanks"))
    # Each turn writes twice (its message, then its answer); the two turns shared each.
    assert (group.groups - groups, group.writes - writes) == (2, 4)
    assert hi.replies and thanks.replies
    for chat, result in ((a, hi), (b, thanks)):
        stored = await world.storage.messages_since(chat.session_id)
        assert [m.id for m in stored] == [
            result.customer_message.id,
            *(r.id for r in result.replies),
        ]


async def test_a_failed_group_commit_stores_none_of_its_turns(storage):
    sessions = [Session(id=s, channel="chat", created_at=NOW, updated_at=NOW) for s in "ab"]
    for session in sessions:
        await storage.create_session(session)

    def broken(conn):
        raise RuntimeError("disk full")

    # Turn a's answer and a write that fails land in the same transaction ...
    results = await asyncio.gather(
        storage.finish_turn(sessions[0], [("Hello!", ())], at=NOW),
        storage.group_commit.write(broken),
        return_exceptions=True,
    )
    # ... so a's caller gets the failure, not its reply: there is nothing to send.
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    assert await storage.messages_since("a") == []
    # The next group is unaffected.
    [reply] = await storage.finish_turn(sessions[1], [("Hi!", ())], at=NOW)
    assert [m.text for m in await storage.messages_since("b")] == ["Hi!"]
    assert reply.text == "Hi!"


async def test_a_failed_group_commit_sends_no_reply_for_either_turn(world, monkeypatch):
    a, b = await world.chat(), await world.chat()
    database = world.storage.database
    real_write = database.write

    async def fail_answers(work):
        if world.storage.group_commit.groups >= 2:  # the second group: the two answers
            raise ConnectionError("database gone")
        return await real_write(work)

    monkeypatch.setattr(database, "write", fail_answers)
    group = world.storage.group_commit
    group.groups = 0
    results = await asyncio.gather(
        world.service.handle(InboundMessage(a.session_id, "hello", "chat")),
        world.service.handle(InboundMessage(b.session_id, "thanks", "chat")),
        return_exceptions=True,
    )
    assert [type(r) for r in results] == [ConnectionError, ConnectionError]
    monkeypatch.setattr(database, "write", real_write)
    for chat in (a, b):  # each message is stored, unanswered: recovery answers it once
        assert [m.sender for m in await world.storage.messages_since(chat.session_id)] == [
            "customer"
        ]
        pending = await world.service.answer_pending(chat.session_id)
        assert pending is not None and pending.replies
        assert await world.service.answer_pending(chat.session_id) is None


async def test_a_sessions_writes_in_one_group_keep_their_order(storage):
    await storage.create_session(Session(id="s", channel="chat", created_at=NOW, updated_at=NOW))
    group = storage.group_commit
    before = group.groups
    started = await asyncio.gather(*(storage.start_turn("s", f"m{i}", at=NOW) for i in range(5)))
    assert group.groups - before == 1
    ids = [message.id for _, message in started]
    assert ids == sorted(ids)
    assert [m.text for m in await storage.messages_since("s")] == [f"m{i}" for i in range(5)]


class SlowDatabase:
    """A ``Database.write`` that holds each transaction until the test lets it commit."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.release = asyncio.Event()

    async def write(self, work):
        await self.release.wait()
        return work(self)  # each queued write is a function of the "connection"


async def test_writes_that_arrive_while_a_group_commits_form_the_next_group():
    from chatserver.storage.group_commit import GroupCommit

    db = SlowDatabase()
    commits = GroupCommit(db)  # type: ignore[arg-type]

    def named(name: str):
        return lambda conn: name

    first = asyncio.ensure_future(commits.write(named("a")))
    await asyncio.sleep(0)  # the first group is in flight, its commit not done
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(commits.write(named(n))) for n in ("b", "c", "d")]
    for _ in range(5):
        await asyncio.sleep(0)
    assert commits.groups == 1  # no second transaction queued behind the first
    db.release.set()
    assert await first == "a"
    assert [await w for w in later] == ["b", "c", "d"]
    assert (commits.groups, commits.writes) == (2, 4)  # b, c and d committed together
