"""Background workers of the Zendesk channel: turn queued tickets into bot turns, and
hand what to write to the outbox sender.

One unit of work is a ticket (``zendesk_tickets`` row, claimed with a lease). For it the
worker reads the ticket and its comments from the API (the webhook was only a hint),
picks the requester's public comments not answered yet (several sent in quick
succession are answered together, in one turn, with one reply) and runs one service
turn for them. The turn's answer, its session state, its prediction, the comments'
outcome and the reply or escalation queued in the outbox are ONE transaction
(``InboundMessage.with_answer``): a crash leaves all of it or none. A turn cut short is
simply run again when the ticket is retaken: the customer message it stored is reused
(same ``client_message_id``), lookups are repeated and actions are checked against
Shopify before they are repeated (``chatserver.runner``). See docs/zendesk.md.

The requester is the proven owner (the reply goes to their mailbox); anyone else on the
ticket (email CCs, followers) would read a public reply too. With others copied, the
public reply withholds the bot's answer and says why, and the ticket is escalated with
the answer in an internal note (docs/security.md).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chatserver.channels.zendesk.outbox import OutboxSender, backoff
from chatserver.channels.zendesk.rules import (
    AUTO_REPLY_TAG,
    ESCALATED_TAG,
    escalation_note,
    others_copied,
    stay_out,
    unanswered,
)
from chatserver.dialogue.actions import Reply
from chatserver.service import ConversationService, InboundMessage, TurnOutcome
from chatserver.storage import OutboxItem, TicketJob, TicketTurn, TurnTaken
from chatserver.storage.zendesk_queue import ZendeskQueue
from integrations.errors import BadResponse, IntegrationError, NotFound, RateLimited
from integrations.zendesk import ZendeskClient
from nlu.cleaning import EmailPatterns

__all__ = ["Turn", "ZendeskWorker"]

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Turn:
    """What one turn on a ticket decided (also what tests look at)."""

    outcome: str  # replied | escalated | ignored | skipped
    reason: str | None = None


class ZendeskWorker:
    """Claims tickets and outbox rows from the queue and works on them.

    Args:
        queue: the channel's tables.
        service: the conversation service.
        zendesk: the API client.
        bot_user_id: the bot's Zendesk user; None: the credentials' own user (``me()``).
        escalation_group_id: where escalated tickets go; None: the group named by
            ``escalation_group`` (the policy's), looked up once.
        workers: concurrent worker tasks in this process.
        lease_seconds: how long a claim holds before another worker may take over.
        max_replies_per_hour: public replies on one ticket before the bot escalates.
        poll_interval: seconds between looks at the queue when nothing wakes us.
        retry_base: first backoff delay in seconds; doubles per attempt, at most 5 min.
        max_attempts: tries of one outbox row before it is given up (and escalated).
        clock: the current time (aware); every lease, backoff and cap is measured on it,
            so tests move it instead of waiting.
        patterns: the mail-client formats the cleaner knows (the shop's ``email_patterns``
            added to the built-in table); None: the built-in table.
    """

    def __init__(
        self,
        queue: ZendeskQueue,
        service: ConversationService,
        zendesk: ZendeskClient,
        *,
        bot_user_id: int | None = None,
        escalation_group_id: int | None = None,
        escalation_group: str = "",
        workers: int = 2,
        lease_seconds: float = 60.0,
        max_replies_per_hour: int = 5,
        poll_interval: float = 1.0,
        retry_base: float = 2.0,
        max_attempts: int = 8,
        clock: Callable[[], datetime] = _now,
        patterns: EmailPatterns | None = None,
    ) -> None:
        self.queue = queue
        self.service = service
        self.zendesk = zendesk
        self.workers = max(1, workers)
        self.lease_seconds = lease_seconds
        self.max_replies_per_hour = max_replies_per_hour
        self.poll_interval = poll_interval
        self.retry_base = retry_base
        self.clock = clock
        self.patterns = patterns
        self.sender = OutboxSender(
            queue, zendesk, self.bot_ids, self.escalation_group_id,
            retry_base=retry_base, max_attempts=max_attempts, clock=clock,
        )  # fmt: skip
        self._bot_user_id = bot_user_id
        self._me_id: int | None = None
        self._group_id = escalation_group_id
        self._group_name = escalation_group
        self._group_looked_up = escalation_group_id is not None
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._name = f"{secrets.token_hex(4)}"

    # --- lifetime -----------------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        for i in range(self.workers):
            # keep references: the loop holds tasks only weakly
            self._tasks.append(loop.create_task(self._run(f"{self._name}-{i}")))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def wake(self) -> None:
        """Something was queued: look now instead of at the next poll."""
        self._wake.set()

    async def _run(self, owner: str) -> None:
        while True:
            try:
                busy = await self.run_once(owner)
            except asyncio.CancelledError:
                raise
            except Exception:  # a worker must outlive any one failure; the row is retried
                log.exception("zendesk worker %s: unexpected failure", owner)
                busy = False
                await asyncio.sleep(self.poll_interval)
            if not busy:
                self._wake.clear()
                try:
                    async with asyncio.timeout(self.poll_interval):
                        await self._wake.wait()
                except TimeoutError:
                    pass

    async def run_once(self, owner: str = "") -> bool:
        """Send one outbox row or work on one ticket; False when there was nothing due."""
        owner = owner or f"{self._name}-x"
        row = await self.queue.claim_outbox(owner, self.lease_seconds, now=self.clock())
        if row is not None:
            await self.sender.send(row)
            return True
        job = await self.queue.claim_ticket(owner, self.lease_seconds, now=self.clock())
        if job is None:
            return False
        release = self.queue.release_ticket
        try:
            await self.process(job)
        except RateLimited as exc:
            delay = exc.retry_after if exc.retry_after is not None else backoff(1, self.retry_base)
            await release(job, now=self.clock(), retry_in=delay, error=str(exc))
        except NotFound as exc:  # the ticket was deleted: nothing left to do
            log.warning("zendesk ticket %s: %s", job.ticket_id, exc)
            await release(job, now=self.clock())
        except BadResponse as exc:  # e.g. comments too large to read: a person reads them
            if job.attempts < 2:
                await release(job, now=self.clock(), retry_in=self.retry_base, error=str(exc))
            else:
                await self._unreadable(job, exc)
                await release(job, now=self.clock())
        except IntegrationError as exc:
            delay = backoff(job.attempts, self.retry_base)
            log.warning("zendesk ticket %s: %s; again in %.1fs", job.ticket_id, exc, delay)
            await release(job, now=self.clock(), retry_in=delay, error=str(exc))
        except Exception as exc:
            delay = backoff(job.attempts, self.retry_base)
            log.exception("zendesk ticket %s failed; again in %.1fs", job.ticket_id, delay)
            await release(job, now=self.clock(), retry_in=delay, error=repr(exc))
        else:
            await release(job, now=self.clock())
        self.wake()  # the outbox may have a row now
        return True

    # --- who we are -----------------------------------------------------------------

    async def bot_ids(self) -> frozenset[int]:
        """The bot's user id(s): the configured one and the credentials' own."""
        if self._me_id is None:
            self._me_id = (await self.zendesk.me()).id
        ids = {self._me_id}
        if self._bot_user_id is not None:
            ids.add(self._bot_user_id)
        return frozenset(ids)

    async def author_id(self) -> int:
        if self._bot_user_id is not None:
            return self._bot_user_id
        return min(await self.bot_ids())

    async def escalation_group_id(self) -> int | None:
        if not self._group_looked_up:
            groups = await self.zendesk.group_ids()
            wanted = self._group_name.strip().lower()
            self._group_id = next((i for n, i in groups.items() if n.lower() == wanted), None)
            self._group_looked_up = True
            if self._group_id is None:
                log.warning("no Zendesk group named %r: escalations keep their group", wanted)
        return self._group_id

    # --- one ticket ---------------------------------------------------------------

    async def process(self, job: TicketJob) -> Turn | None:
        """One turn on the ticket, from the API's current state; None if nothing to do."""
        ticket = await self.zendesk.get_ticket(job.ticket_id)
        comments = await self.zendesk.list_comments(job.ticket_id)
        handled = await self.queue.handled_comments(job.ticket_id)
        candidates = unanswered(ticket, comments, handled, patterns=self.patterns)
        if not candidates:
            return None
        bot_ids = await self.bot_ids()
        # Look before opening: tickets the bot stays out of get no session in the console.
        existing = await self.service.storage.find_session("email", str(ticket.id))
        ids = tuple(c.comment.id for c in candidates)
        newest = ids[-1]

        def record(
            outcome: str, items: tuple[OutboxItem, ...] = (), reason: str | None = None
        ) -> TicketTurn:
            return TicketTurn(job, ids, outcome, items, reason)

        reason = stay_out(ticket, bot_ids, existing.owner if existing else None)
        if reason is not None:
            await self.queue.commit_turn(record("skipped", reason=reason), now=self.clock())
            return Turn("skipped", reason)

        real = [c for c in candidates if not c.auto_reply]
        if not real:
            # An out-of-office or a bounce: never answered, so never a loop.
            tag = OutboxItem("tag", "", newest, tags=(AUTO_REPLY_TAG,))
            await self.queue.commit_turn(record("ignored", (tag,), "auto_reply"), now=self.clock())
            return Turn("ignored", "auto_reply")

        text = "\n\n".join(c.text for c in real).strip()
        hour_ago = self.clock() - timedelta(hours=1)
        if await self.queue.replies_since(ticket.id, hour_ago) >= self.max_replies_per_hour:
            note = escalation_note(
                reason="reply_limit", intent=None, confidence=0.0,
                summary=f"The bot already answered {self.max_replies_per_hour} times "
                "on this ticket within the hour.",
                text=text,
            )  # fmt: skip
            item = await self._escalation(note, newest, ("bot_escalated", "reason_reply_limit"))
            done = record("escalated", (item,), "reply_limit")
            await self.queue.commit_turn(done, now=self.clock())
            return Turn("escalated", "reply_limit")

        session = existing or await self.service.open_session("email", external_ref=str(ticket.id))
        # Read before the turn, so what it writes with its answer needs no outside call.
        author, group = await self.author_id(), await self.escalation_group_id()
        decided: list[Turn] = []
        requester = ticket.requester
        copied = others_copied(ticket, bot_ids)
        withheld = self._withheld(requester.name if requester else None) if copied else None

        def with_answer(outcome: TurnOutcome) -> TicketTurn:
            turn, items = _decide(outcome, text, newest, author, group, withheld)
            decided.append(turn)
            return record(turn.outcome, items, turn.reason)

        try:
            await self.service.handle(
                InboundMessage(
                    session_id=session.id,
                    text=text,
                    channel="email",
                    received_at=real[-1].comment.created_at,
                    identity_email=requester.email if requester and requester.email else None,
                    customer_name=requester.name if requester else None,
                    # The turn's key: its first comment, so a turn cut short and run again
                    # (perhaps with a comment that arrived meanwhile) reuses its message.
                    client_message_id=f"zendesk:{ticket.id}:{real[0].comment.id}",
                    metadata={"zendesk_ticket_id": ticket.id},
                    with_answer=with_answer,
                )
            )
        except TurnTaken:  # another worker answered these comments first
            return None
        return decided[-1]

    def _withheld(self, name: str | None) -> str:
        """The public reply when others are copied: no order details, and why."""
        rendered = self.service.renderer.render_turn(
            [Reply("identity/others_copied")], "email", name=name
        )
        return rendered[0].text

    async def _unreadable(self, job: TicketJob, exc: BadResponse) -> None:
        ids = await self.queue.event_comment_ids(job)
        if not ids:
            return
        log.warning("zendesk ticket %s unreadable (%s): escalating", job.ticket_id, exc)
        note = escalation_note(
            reason="unreadable", intent=None, confidence=0.0,
            summary=f"The bot could not read this ticket through the API: {exc}.", text="",
        )  # fmt: skip
        item = await self._escalation(note, max(ids), (ESCALATED_TAG, "reason_unreadable"))
        turn = TicketTurn(job, tuple(ids), "escalated", (item,), "unreadable")
        await self.queue.commit_turn(turn, now=self.clock())

    async def _escalation(self, note: str, newest: int, tags: tuple[str, ...]) -> OutboxItem:
        group = await self.escalation_group_id()
        return OutboxItem("escalate", note, newest, group_id=group, tags=tags)


def _decide(
    outcome: TurnOutcome,
    text: str,
    newest: int,
    author: int,
    group: int | None,
    withheld: str | None = None,
) -> tuple[Turn, tuple[OutboxItem, ...]]:
    """What the turn's outcome writes to the ticket: a reply, an escalation, or nothing.

    ``withheld``: others are copied on the ticket; this public reply replaces the bot's
    answer, which goes to the agents in an internal note with the escalation.
    """
    if outcome.escalated:
        reason = outcome.escalation_reason or "unknown"
        note = escalation_note(
            reason=reason, intent=outcome.intent, confidence=outcome.confidence,
            summary=outcome.summary, text=text, draft="\n\n".join(outcome.replies),
        )  # fmt: skip
        tags = tuple(dict.fromkeys((ESCALATED_TAG, *outcome.tags)))
        item = OutboxItem("escalate", note, newest, group_id=group, tags=tags)
        return Turn("escalated", reason), (item,)
    if not outcome.replies:  # e.g. a person owns the session: the bot stays silent
        return Turn("skipped", "no_reply"), ()
    if withheld is not None:
        note = escalation_note(
            reason="others_copied", intent=outcome.intent, confidence=outcome.confidence,
            summary="Other people (email CCs or followers) are on this ticket, so the bot "
            "did not send its answer publicly; it told the customer a person will follow up.",
            text=text, draft="\n\n".join(outcome.replies),
        )  # fmt: skip
        tags = (ESCALATED_TAG, "reason_others_copied")
        notice = OutboxItem("reply", withheld, newest, author_id=author, tags=("bot_answered",))
        escalation = OutboxItem("escalate", note, newest, group_id=group, tags=tags)
        return Turn("escalated", "others_copied"), (notice, escalation)
    body = "\n\n".join(outcome.replies)
    tags = tuple(dict.fromkeys(("bot_answered", *outcome.tags)))
    item = OutboxItem("reply", body, newest, author_id=author, tags=tags)
    return Turn("replied", outcome.intent), (item,)
