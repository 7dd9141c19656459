"""Keeping the help-center answers fresh: the first load, the scheduled sync, and the
changes Zendesk announces.

At start-up a background task reads every article from the source (Zendesk Guide, or a
folder of Markdown files: ``chatserver.build.build_article_source``), builds the answers
in the executor (about a second the first time, then a tenth for the demo's 39
articles) and swaps them into the app's :class:`~chatserver.helpcenter.HelpCenter`.
Until then, and whenever the source cannot be read, questions take the classifier's
path: a help center that is down costs answers, never a turn. The first read is retried
(0.5 s, 1 s, 2 s, ... up to the refresh period): in demo mode the Guide sandbox is this
very server, which only listens once start-up is over.

Then every ``refresh_minutes`` the source's ``changed_since`` gives what was published,
edited or withdrawn; only those articles are tokenized again, on a copy of the index,
and the copy is swapped in. Once a day a full read replaces everything (Zendesk's
export does not report archived articles). ``zen:event-type:article.published`` and
``article.unpublished`` webhooks (``chatserver.channels.zendesk.articles``) apply one
article at once, in a task of their own. One change runs at a time.

Threads: the index being built in the executor tokenizes with its own spaCy pipeline,
never the one answering questions on the event loop (two pipelines take turns).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from aiohttp import web

from chatserver.helpcenter import HelpCenter
from chatserver.keys import HELPCENTER, HELPCENTER_SYNC, HTTP, METRICS, SETTINGS
from integrations.articles import Article, ArticleEvent, ArticleSource
from integrations.errors import IntegrationError, NotFound

if TYPE_CHECKING:
    from nlu.retrieval.answers import HelpCenterAnswers
    from nlu.retrieval.index import Analyzer

__all__ = ["FULL_EVERY", "RETRY_DELAYS", "HelpCenterSync", "setup_helpcenter"]

log = logging.getLogger(__name__)

FULL_EVERY = timedelta(hours=24)
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # the first read, until it works
# The incremental export starts a little before the last full read began: an article
# saved while the list was being read is read again rather than missed.
_OVERLAP = timedelta(minutes=5)
# What reading a source may raise (integrations.errors; a folder's OSError/ValueError).
_SOURCE_ERRORS = (IntegrationError, OSError, ValueError)


@runtime_checkable
class OneArticle(Protocol):
    """A source that can read one article again (Zendesk Guide): webhooks need it."""

    locale: str

    async def article(self, article_id: str | int) -> Article: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class HelpCenterSync:
    """Fills a :class:`HelpCenter` from an article source and keeps it fresh.

    Args:
        source: where the articles are (``articles()``, ``changed_since()``; and
            ``article(id)`` for webhook events).
        holder: the app's holder, swapped on every change.
        threshold: the shop's answering threshold (None: the answer model's own).
        refresh_seconds: period of the incremental sync; 0: never.
        full_every: period of the full read.
        clock, sleep: time, for tests.
    """

    def __init__(
        self,
        source: ArticleSource,
        holder: HelpCenter,
        *,
        threshold: float | None = None,
        refresh_seconds: float = 900.0,
        full_every: timedelta = FULL_EVERY,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.source = source
        self.holder = holder
        self.threshold = threshold
        self.refresh_seconds = refresh_seconds
        self.full_every = full_every
        self.retry_delays = tuple(retry_delays)
        self.clock = clock
        self.sleep = sleep
        self.generation = 0  # how many times the answers were swapped
        self.last_error: str | None = None
        self._answers: HelpCenterAnswers | None = None
        self._analyzers: tuple[Analyzer, Analyzer] | None = None
        self._since: datetime | None = None  # where the next incremental read starts
        self._full_at: datetime | None = None
        self._lock = asyncio.Lock()
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[None]] = set()

    # --- changes ----------------------------------------------------------------

    async def load(self) -> int:
        """Read every article and serve new answers built from them; returns how many.

        Raises:
            IntegrationError, OSError, ValueError: the source could not be read (the
                answers served so far stay).
        """
        async with self._lock:
            started = self.clock()
            articles = await self.source.articles()
            analyzer = self._spare_analyzer()
            answers = await _in_executor(self._build, articles, analyzer)
            self._since, self._full_at = started - _OVERLAP, started
            await self._swap(answers)
            log.info("help center loaded: %d articles", len(answers))
            return len(answers)

    async def refresh(self) -> None:
        """The scheduled sync: what changed since the last one, or a full read when due."""
        full_due = self._full_at is None or self.clock() - self._full_at >= self.full_every
        if self._answers is None or self._since is None or full_due:
            await self.load()
            return
        async with self._lock:
            changes = await self.source.changed_since(self._since)
            if changes.updated or changes.removed:
                await self._update(changes.updated, changes.removed)
                log.info(
                    "help center synced: %d articles updated, %d removed",
                    len(changes.updated), len(changes.removed),
                )  # fmt: skip
            self._since = max(self._since, changes.end_time)

    async def apply(self, event: ArticleEvent) -> bool:
        """One webhook event: a published article is read and indexed, an unpublished
        one removed. Votes and comments change nothing. True when the answers changed.

        Raises:
            IntegrationError: the article could not be read (the scheduled sync will).
        """
        if not self.accepts(event) or not isinstance(self.source, OneArticle):
            return False
        if self._answers is None:  # the first load, still to come, will read it
            return False
        async with self._lock:
            article: Article | None = None
            if event.kind == "published":
                try:
                    article = await self.source.article(event.article_id)
                except NotFound:
                    article = None
                if article is not None and (article.draft or article.locale != self.source.locale):
                    article = None
            if article is None and event.article_id not in self._answers.index:
                return False
            upsert = [article] if article is not None else []
            remove = [] if article is not None else [event.article_id]
            await self._update(upsert, remove)
            log.info("help center: article %s %s", event.article_id, event.kind)
            return True

    def accepts(self, event: ArticleEvent) -> bool:
        """Whether the event can change the answers (a Zendesk source, a content event)."""
        return event.changes_content and isinstance(self.source, OneArticle)

    def schedule(self, event: ArticleEvent) -> None:
        """:meth:`apply` in a task of its own (the webhook answers at once)."""
        task = asyncio.get_running_loop().create_task(self._apply_logged(event))
        self._tasks.add(task)  # keep a reference: the loop holds tasks only weakly
        task.add_done_callback(self._tasks.discard)

    async def changed(self, after: int) -> int:
        """Wait until the answers were swapped more than ``after`` times (tests, tools)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.generation > after)
            return self.generation

    # --- running ----------------------------------------------------------------

    async def run(self) -> None:
        """The first read (retried until it works), then the sync every period."""
        await self._first_load()
        if self.refresh_seconds <= 0:
            return
        while True:
            await self.sleep(self.refresh_seconds)
            try:
                await self.refresh()
                self.last_error = None
            except _SOURCE_ERRORS as exc:
                self.last_error = str(exc)
                log.warning("help-center sync failed (answers kept as they were): %s", exc)
            except Exception as exc:  # a bug in a build: keep serving, keep the loop alive
                self.last_error = repr(exc)
                log.exception("help-center sync failed (answers kept as they were)")

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _first_load(self) -> None:
        delays = iter(self.retry_delays)
        failures = 0
        while True:
            try:
                await self.load()
                self.last_error = None
                return
            except _SOURCE_ERRORS as exc:
                self.last_error = str(exc)
                failures += 1
                # In demo mode the first try meets a server not yet listening: say it quietly.
                level = logging.INFO if failures == 1 else logging.WARNING
                log.log(level, "help center not loaded yet (retrying): %s", exc)
            except Exception as exc:  # a bug in a build: questions go on without articles
                self.last_error = repr(exc)
                log.exception("help center could not be built (retrying)")
            delay = next(delays, None)
            if delay is None:
                delay = self.refresh_seconds or self.retry_delays[-1]
            await self.sleep(min(delay, self.refresh_seconds or delay))

    async def _apply_logged(self, event: ArticleEvent) -> None:
        try:
            await self.apply(event)
        except _SOURCE_ERRORS as exc:
            log.warning("article %s %s not applied (the sync will): %s",
                        event.article_id, event.kind, exc)  # fmt: skip

    async def _update(self, upsert: Sequence[Article], remove: Sequence[str]) -> None:
        assert self._answers is not None
        analyzer = self._spare_analyzer()
        answers = await _in_executor(self._answers.updated, upsert, remove, analyzer=analyzer)
        await self._swap(answers)

    async def _swap(self, answers: HelpCenterAnswers) -> None:
        self._answers = answers
        self.holder.swap(answers)
        async with self._changed:
            self.generation += 1
            self._changed.notify_all()

    def _build(self, articles: Sequence[Article], analyzer: Analyzer) -> HelpCenterAnswers:
        from nlu.retrieval.answers import HelpCenterAnswers

        return HelpCenterAnswers.build(articles, threshold=self.threshold, analyzer=analyzer)

    def _spare_analyzer(self) -> Analyzer:
        """The spaCy pipeline the serving answers do not use (see the module doc)."""
        if self._analyzers is None:
            from nlu.retrieval.index import Analyzer

            self._analyzers = (Analyzer(), Analyzer())
        first, second = self._analyzers
        serving = self._answers.analyzer if self._answers is not None else None
        return second if serving is first else first


async def _in_executor(function: Callable[..., HelpCenterAnswers], *args: object,
                       **kwargs: object) -> HelpCenterAnswers:  # fmt: skip
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, lambda: function(*args, **kwargs))


async def _lifetime(app: web.Application) -> AsyncIterator[None]:
    from chatserver.build import build_article_source

    settings = app[SETTINGS]
    source = build_article_source(settings, app[HTTP], observer=app[METRICS].observe_outside)
    if source is None:
        yield
        return
    hc = settings.helpcenter
    sync = HelpCenterSync(
        source,
        app[HELPCENTER],
        threshold=hc.threshold,
        refresh_seconds=float(hc.refresh_minutes) * 60.0,
    )
    app[HELPCENTER_SYNC] = sync
    task = asyncio.get_running_loop().create_task(sync.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await sync.aclose()


def setup_helpcenter(app: web.Application) -> None:
    """Load and refresh the app's help-center answers in the background (after the
    shared HTTP client exists: add it after ``_outside_world``)."""
    app.cleanup_ctx.append(_lifetime)
