"""Answer the chat turns a dead process left unanswered.

A turn stores the customer's message first and its whole answer (replies, session
state, prediction) in one transaction at the end (``Storage.finish_turn``). A process
killed in between leaves a chat session whose newest message is the customer's, and its
state as it was before the turn: at startup every process looks for those, recent ones
only (``storage.stats.unanswered_chats``), and runs the turn again through
``ConversationService.answer_pending``, which holds the session's lock and checks again,
so a turn is never answered twice, whichever process gets there first. Lookups are
safe to repeat; an action the first run may have done (an order cancelled, a return
requested, a subscription cancelled) is checked against Shopify before it is done
again (``chatserver.runner``). The customer sees the answer live if connected to any
process (the chat channel publishes it) or on resume (missed messages are replayed).

Zendesk sessions are not touched: the Zendesk queue retakes their tickets after a lease,
and the worker runs the unfinished turn again on the same stored message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from aiohttp import web

from chatserver.service import ConversationService, TurnResult

__all__ = ["MAX_AGE", "answer_unanswered", "recover_on_startup"]

log = logging.getLogger(__name__)

MAX_AGE = timedelta(minutes=30)  # older questions: the customer has gone, do not answer


async def answer_unanswered(
    service: ConversationService,
    *,
    publish: Callable[[TurnResult], Awaitable[None]] | None = None,
    max_age: timedelta = MAX_AGE,
) -> int:
    """Answer every recent unanswered chat turn; returns how many were answered."""
    answered = 0
    since = service.clock() - max_age
    for session_id in await service.storage.stats.unanswered_chats(since):
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
    from chatserver.keys import NOTIFIER, SERVICE

    service = app[SERVICE]
    notifier = app.get(NOTIFIER)

    async def publish(result: TurnResult) -> None:
        if notifier is not None:
            await notifier.turn(result)

    async def run() -> None:
        try:
            await answer_unanswered(service, publish=publish)
        except Exception:
            log.exception("recovery of unanswered turns failed; they stay unanswered")

    task = asyncio.create_task(run())
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
