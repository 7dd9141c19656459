"""The outbox sender: writes queued replies, escalations and tags to Zendesk, once.

A row is claimed (lease), then written. Posting a comment is not idempotent and a
5xx or a timeout may hide a comment that was in fact posted, so every attempt after
the first starts by reconciling: the ticket's comments are listed and a bot comment
with the same body, posted after the customer comment the row answers, means the
earlier attempt landed (the row is marked sent without writing again). 429 waits
``Retry-After``; 5xx, timeouts and unreadable answers back off exponentially; after
``max_attempts`` a reply is given up and an escalation queued in its place.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from chatserver.channels.zendesk.rules import Written, find_sent
from chatserver.storage import OutboxItem, OutboxRow
from chatserver.storage.zendesk_queue import ZendeskQueue
from integrations.errors import (
    APIStatusError,
    AuthFailed,
    IntegrationError,
    RateLimited,
)
from integrations.zendesk import ZendeskClient

__all__ = ["OutboxSender", "backoff"]

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0


def backoff(attempt: int, base: float) -> float:
    """Seconds before try ``attempt + 1``: base, 2·base, 4·base ... at most 5 minutes."""
    return min(MAX_BACKOFF, base * 2 ** max(0, attempt - 1))


class OutboxSender:
    """Sends claimed outbox rows (see the module docstring)."""

    def __init__(
        self,
        queue: ZendeskQueue,
        zendesk: ZendeskClient,
        bot_ids: Callable[[], Awaitable[frozenset[int]]],
        group_id: Callable[[], Awaitable[int | None]],
        *,
        retry_base: float = 2.0,
        max_attempts: int = 8,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.queue = queue
        self.clock = clock
        self.zendesk = zendesk
        self.bot_ids = bot_ids
        self.group_id = group_id
        self.retry_base = retry_base
        self.max_attempts = max_attempts

    async def send(self, row: OutboxRow) -> None:
        try:
            if row.attempts > 1 and row.kind != "tag" and await self._already_posted(row):
                log.info("zendesk outbox %s: an earlier attempt was applied", row.id)
                await self.queue.finish_outbox(row, "sent", now=self.clock())
                return
            await self._write(row)
        except RateLimited as exc:
            wait = exc.retry_after if exc.retry_after is not None else self._delay(row)
            await self._retry(row, exc, wait)
        except AuthFailed as exc:  # configuration: may be fixed, so keep trying (slowly)
            await self._retry(row, exc, self._delay(row))
        except APIStatusError as exc:
            if exc.status is not None and exc.status >= 500:
                await self._retry(row, exc, self._delay(row))
            else:  # 404 ticket gone, 422 closed ticket: writing again cannot help
                log.error("zendesk outbox %s (ticket %s): %s", row.id, row.ticket_id, exc)
                await self.queue.finish_outbox(row, "failed", now=self.clock(), error=str(exc))
        except IntegrationError as exc:  # unavailable, timeout, bad answer: maybe applied
            await self._retry(row, exc, self._delay(row))
        else:
            await self.queue.finish_outbox(row, "sent", now=self.clock())

    def _delay(self, row: OutboxRow) -> float:
        return backoff(row.attempts, self.retry_base)

    async def _retry(self, row: OutboxRow, exc: IntegrationError, wait: float) -> None:
        if row.attempts < self.max_attempts:
            log.warning(
                "zendesk outbox %s (ticket %s): %s; again in %.1fs",
                row.id, row.ticket_id, exc, wait,
            )  # fmt: skip
            await self.queue.finish_outbox(
                row, "pending", now=self.clock(), error=str(exc), retry_in=wait
            )
            return
        log.error("zendesk outbox %s (ticket %s): giving up: %s", row.id, row.ticket_id, exc)
        then = None
        if row.kind == "reply":
            note = (
                f"The bot could not post its reply after {row.attempts} attempts ({exc}). "
                "Please answer the customer; the reply it meant to send was:\n\n" + row.body
            )
            group = await self._group_or_none()
            then = OutboxItem(
                "escalate", note, row.answers_comment_id, group_id=group,
                tags=("bot_escalated", "reason_reply_failed"),
            )  # fmt: skip
        await self.queue.finish_outbox(row, "failed", now=self.clock(), error=str(exc), then=then)

    async def _group_or_none(self) -> int | None:
        try:
            return await self.group_id()
        except IntegrationError:
            return None

    async def _already_posted(self, row: OutboxRow) -> bool:
        comments = await self.zendesk.list_comments(row.ticket_id)
        earlier = [
            Written(r.body, r.kind == "reply", r.answers_comment_id)
            for r in await self.queue.sent_before(row)
            if r.kind != "tag"
        ]
        mine = Written(row.body, row.kind == "reply", row.answers_comment_id)
        return find_sent(comments, await self.bot_ids(), earlier, mine) is not None

    async def _write(self, row: OutboxRow) -> None:
        tags = list(row.tags)
        if row.kind == "reply":
            await self.zendesk.add_comment(
                row.ticket_id, row.body, public=True, author_id=row.author_id,
                additional_tags=tags, status="pending",
            )  # fmt: skip
        elif row.kind == "escalate":
            if row.group_id is not None:
                await self.zendesk.escalate(
                    row.ticket_id, group_id=row.group_id, note=row.body, tags=tags
                )
            else:
                await self.zendesk.add_comment(
                    row.ticket_id, row.body, public=False, additional_tags=tags
                )
        elif row.kind == "tag":
            await self.zendesk.update_tags(row.ticket_id, add=tags)
        else:
            raise ValueError(f"unknown outbox kind {row.kind!r}")
