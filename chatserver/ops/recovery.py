"""Answer the chat turns a dead process left unanswered.

A turn stores the customer's message first and its answer (replies and session state)
in one transaction at the end (``Storage.finish_turn``). A process killed in between
leaves a chat session whose newest message is the customer's: at startup every process
looks for those, recent ones only, and answers each through
``ConversationService.answer_pending``, which holds the session's lock and checks again,
so a turn is never answered twice, whichever process gets there first. The customer
sees the answer live if connected to any process (the chat channel publishes it) or on
resume (missed messages are replayed).

Zendesk sessions are not touched: the Zendesk queue retakes their tickets after a lease.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from chatserver.service import ConversationService, TurnResult
from chatserver.storage.schema import messages, sessions

__all__ = ["MAX_AGE", "answer_unanswered", "recover_on_startup", "unanswered_sessions"]

log = logging.getLogger(__name__)

MAX_AGE = timedelta(minutes=30)  # older questions: the customer has gone, do not answer


async def unanswered_sessions(engine: AsyncEngine, since: datetime) -> list[str]:
    """Bot-owned chat sessions whose newest message is a customer's sent after ``since``."""
    newest = (
        sa.select(messages.c.session_id, sa.func.max(messages.c.id).label("id"))
        .group_by(messages.c.session_id)
        .subquery()
    )
    query = (
        sa.select(sessions.c.id)
        .join(newest, newest.c.session_id == sessions.c.id)
        .join(messages, messages.c.id == newest.c.id)
        .where(
            sessions.c.channel == "chat",
            sessions.c.owner == "bot",
            sessions.c.status != "closed",
            messages.c.sender == "customer",
            messages.c.created_at >= since,
        )
        .order_by(messages.c.id)
    )
    async with engine.connect() as conn:
        return list((await conn.scalars(query)).all())


async def answer_unanswered(
    service: ConversationService,
    engine: AsyncEngine,
    *,
    publish: Callable[[TurnResult], Awaitable[None]] | None = None,
    max_age: timedelta = MAX_AGE,
) -> int:
    """Answer every recent unanswered chat turn; returns how many were answered."""
    answered = 0
    for session_id in await unanswered_sessions(engine, service.clock() - max_age):
        try:
            result = await service.answer_pending(session_id)
        except Exception:
            # One broken session must not keep the others unanswered; the rest go on.
            log.exception("could not answer the pending turn of session %s", session_id)
            continue
        if result is None:
            continue  # answered meanwhile (by another process)
        answered += 1
        log.info("answered a turn left by a stopped process in session %s", session_id)
        if publish is not None:
            await publish(result)
    return answered


async def recover_on_startup(app: web.Application) -> AsyncIterator[None]:
    """``cleanup_ctx``: answer what a stopped process left, in the background.

    Append after the core and the chat channel: it needs the service and publishes the
    answers to the customer's room.
    """
    from chatserver.keys import NOTIFIER, SERVICE, STORAGE

    service, storage = app[SERVICE], app[STORAGE]
    notifier = app.get(NOTIFIER)

    async def publish(result: TurnResult) -> None:
        if notifier is not None:
            await notifier.turn(result)

    async def run() -> None:
        try:
            engine = storage.engine  # type: ignore[attr-defined]
            await answer_unanswered(service, engine, publish=publish)
        except Exception:
            log.exception("recovery of unanswered turns failed; they stay unanswered")

    task = asyncio.create_task(run())
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
