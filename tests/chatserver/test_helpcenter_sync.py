"""Keeping the help-center answers fresh (``chatserver.ops.helpcenter``): the first load,
the incremental sync, the daily full read, webhook events, failures; the settings and the
source they choose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from chatserver.build import build_article_source
from chatserver.errors import ConfigError
from chatserver.helpcenter import HelpCenter
from chatserver.ops.helpcenter import HelpCenterSync
from chatserver.settings import Settings, ZendeskSettings, load_settings
from integrations.articles import ArticleEvent
from integrations.articles_folder import ArticleFolder
from integrations.errors import IntegrationUnavailable
from integrations.helpcenter import HelpCenterClient
from integrations.http import RetryPolicy
from integrations.sandbox.base import transport
from integrations.sandbox.helpcenter import ARTICLES_DIR, HelpCenterSimulator

BASE = "https://maison.zendesk.com"
GIFT_CARDS = "360000101206"
MERINO = "360000101303"
PARKING = "Where can I park when I visit the showroom?"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock) -> HelpCenterSimulator:
    return HelpCenterSimulator(base_url=BASE, clock=clock)


@pytest.fixture
async def guide(sim):
    async with httpx.AsyncClient(transport=transport(sim)) as http:
        yield HelpCenterClient(
            http, base_url=BASE, email="agent@example.com", api_token="demo",
            sleep=no_sleep, retry=RetryPolicy(attempts=1),
        )  # fmt: skip


@pytest.fixture
async def sync(guide, clock):
    s = HelpCenterSync(guide, HelpCenter(), clock=clock, sleep=no_sleep)
    yield s
    await s.aclose()


def answered(holder: HelpCenter, text: str) -> str | None:
    answer = holder.answer(text)
    return answer.article_id if answer is not None and answer.answered else None


async def test_the_first_load_serves_every_published_article(sync):
    assert len(sync.holder) == 0 and sync.holder.answer("gift cards?") is None
    assert await sync.load() == 39
    assert len(sync.holder) == 39 and sync.generation == 1
    assert answered(sync.holder, "do you sell gift cards?") == GIFT_CARDS


async def test_a_refresh_reads_only_what_changed_and_swaps_a_new_index(sync, sim, clock):
    await sync.load()
    serving = sync.holder.current
    clock.now += timedelta(minutes=15)
    sim.add(title=PARKING, section_id="360000100081", draft=False,
            body_markdown="Park for free in the yard behind the showroom, on Dock Street.")  # fmt: skip
    sim.unpublish(GIFT_CARDS)
    await sync.refresh()
    assert sync.generation == 2
    assert sync.holder.current is not serving  # swapped, not changed in place
    assert answered(serving, "do you sell gift cards?") == GIFT_CARDS  # the old one as it was
    assert answered(sync.holder, "do you sell gift cards?") != GIFT_CARDS
    new = sync.holder.answer("where do I park at the showroom?")
    assert new.title == PARKING and new.answered
    assert len(sync.holder) == 39  # one in, one out


async def test_an_edit_is_found_by_the_next_sync(sync, sim, clock):
    await sync.load()
    clock.now += timedelta(minutes=15)
    sim.edit(MERINO, body_markdown="## Care\n\nDry clean only: never machine wash it.")
    await sync.refresh()
    answer = sync.holder.answer("is the merino scarf machine washable?")
    assert answer.article_id == MERINO and "Dry clean only" in answer.passage


async def test_nothing_changed_keeps_the_answers(sync, clock):
    await sync.load()
    clock.now += timedelta(minutes=15)
    await sync.refresh()
    assert sync.generation == 1


async def test_once_a_day_the_whole_help_center_is_read_again(sync, sim, clock):
    await sync.load()
    sim.archive(GIFT_CARDS)  # the export never reports an archived article
    clock.now += timedelta(minutes=15)
    await sync.refresh()
    assert GIFT_CARDS in sync.holder.current.index
    clock.now += timedelta(hours=24)
    await sync.refresh()
    assert GIFT_CARDS not in sync.holder.current.index and len(sync.holder) == 38


def event(kind: str, article_id: str) -> ArticleEvent:
    return ArticleEvent("01EVENT", kind, article_id, "360000000501", "en-us", None, None)


async def test_a_published_event_indexes_the_article_at_once(sync, sim):
    await sync.load()
    new_id = sim.add(title=PARKING, section_id="360000100081", draft=True,
                     body_markdown="Park for free in the yard behind the showroom.")  # fmt: skip
    sim.publish(new_id)
    assert await sync.apply(event("published", new_id))
    assert sync.holder.answer("where do I park at the showroom?").article_id == new_id


async def test_an_unpublished_event_removes_it_and_others_change_nothing(sync, sim):
    await sync.load()
    assert not await sync.apply(event("vote_created", GIFT_CARDS))
    assert not await sync.apply(event("unpublished", "999"))  # not indexed: nothing to do
    sim.unpublish(GIFT_CARDS)
    assert await sync.apply(event("unpublished", GIFT_CARDS))
    assert GIFT_CARDS not in sync.holder.current.index and sync.generation == 2


async def test_a_published_event_for_a_draft_or_missing_article_removes_it(sync, sim):
    await sync.load()
    sim.unpublish(GIFT_CARDS)  # a late "published" event: Zendesk says it is a draft now
    assert await sync.apply(event("published", GIFT_CARDS))
    assert GIFT_CARDS not in sync.holder.current.index
    sim.archive(MERINO)  # 404 when read
    assert await sync.apply(event("published", MERINO))
    assert MERINO not in sync.holder.current.index


async def test_scheduled_events_are_applied_in_the_background(sync, sim):
    await sync.load()
    sim.unpublish(GIFT_CARDS)
    assert sync.accepts(event("unpublished", GIFT_CARDS))
    sync.schedule(event("unpublished", GIFT_CARDS))
    assert await sync.changed(after=1) == 2
    assert GIFT_CARDS not in sync.holder.current.index


async def test_a_source_that_fails_keeps_the_answers_it_has(sync, sim, clock):
    await sync.load()
    serving = sync.holder.current
    sim.faults.error_rate = 1.0
    clock.now += timedelta(minutes=15)
    with pytest.raises(IntegrationUnavailable):
        await sync.refresh()
    assert sync.holder.current is serving


class Flaky:
    """A source down for its first ``failures`` reads."""

    def __init__(self, inner, failures: int) -> None:
        self.inner, self.failures, self.calls = inner, failures, 0

    async def articles(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise IntegrationUnavailable("connection refused", vendor="zendesk_guide")
        return await self.inner.articles()

    async def changed_since(self, since):
        return await self.inner.changed_since(since)


async def test_the_first_load_is_retried_until_the_source_answers(guide, clock):
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    source = Flaky(guide, failures=3)
    sync = HelpCenterSync(source, HelpCenter(), clock=clock, sleep=sleep, refresh_seconds=0)
    await sync.run()  # refresh_seconds 0: no schedule, returns after the first load
    assert len(sync.holder) == 39 and source.calls == 4
    assert waits == [0.5, 1.0, 2.0] and sync.last_error is None


async def test_the_shops_threshold_is_used(guide, clock):
    sync = HelpCenterSync(guide, HelpCenter(), threshold=0.99, clock=clock)
    await sync.load()
    answer = sync.holder.answer("do you sell gift cards?")
    assert answer.threshold == 0.99 and not answer.answered


async def test_a_folder_of_articles_is_a_source_too(tmp_path, clock):
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in ("_sections.yml", "gift-cards.md"):
        (folder / name).write_text((ARTICLES_DIR / name).read_text(encoding="utf-8"))
    source = ArticleFolder(folder, base_url="https://shop.example/pages/help")
    sync = HelpCenterSync(source, HelpCenter(), clock=clock)
    await sync.load()
    answer = sync.holder.answer("do you sell gift cards?")
    assert answer.url == "https://shop.example/pages/help/gift-cards"
    assert not sync.accepts(event("published", "1"))  # webhooks are Zendesk's


# --- settings and the source they choose ----------------------------------------------------


def test_the_helpcenter_settings_are_read_and_checked(tmp_path):
    settings = load_settings(
        helpcenter={"source": "folder", "path": str(tmp_path), "url_base": "https://x/help",
                    "threshold": 0.8, "refresh_minutes": 5},
    )  # fmt: skip
    hc = settings.helpcenter
    assert (hc.source, hc.path, hc.threshold, hc.refresh_minutes) == ("folder", tmp_path, 0.8, 5)
    bad = [
        {"source": "confluence"},
        {"source": "folder"},  # no path
        {"threshold": 1.5},
        {"threshold": "high"},
        {"refresh_minutes": -1},
        {"locale": "en/us"},
        {"colour": "blue"},
    ]
    for values in bad:
        with pytest.raises(ConfigError, match="helpcenter"):
            load_settings(helpcenter=values)


def test_the_source_follows_the_settings(tmp_path):
    async def unused(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request is made to build a source")

    http = httpx.AsyncClient(transport=httpx.MockTransport(unused))
    demo = build_article_source(Settings(), http)
    assert isinstance(demo, HelpCenterClient)  # demo mode: the Guide sandbox
    zendesk = Settings(zendesk=ZendeskSettings(base_url="https://maison.zendesk.com"))
    assert isinstance(build_article_source(zendesk, http), HelpCenterClient)
    shopify_only = load_settings(shopify={"base_url": "https://maison.myshopify.com"})
    assert build_article_source(shopify_only, http) is None  # no Zendesk: no Guide
    folder = load_settings(helpcenter={"source": "folder", "path": str(tmp_path)})
    assert isinstance(build_article_source(folder, http), ArticleFolder)
    assert build_article_source(load_settings(helpcenter={"source": "none"}), http) is None


async def test_a_host_mapped_guide_is_read_from_its_own_host():
    seen: list[str] = []

    async def guide(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url.host))
        body = httpx.ByteStream(b'{"articles": [], "sections": []}')  # streamed, as a server's
        return httpx.Response(200, headers={"content-type": "application/json"}, stream=body)

    async with httpx.AsyncClient(transport=httpx.MockTransport(guide)) as http:
        settings = load_settings(
            zendesk={"base_url": "https://maison.zendesk.com"},
            helpcenter={"base_url": "https://help.maison.example"},
        )
        source = build_article_source(settings, http)
        assert await source.articles() == []
    assert seen == ["help.maison.example"]


def test_the_demo_articles_folder_exists():
    assert Path(ARTICLES_DIR, "gift-cards.md").is_file()
