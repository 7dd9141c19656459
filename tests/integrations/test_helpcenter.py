"""HelpCenterClient against the Zendesk Guide sandbox (MockTransport and real HTTP), the
incremental sync, search, errors, and the article webhook events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from integrations.errors import AuthFailed, BadResponse, NotFound
from integrations.helpcenter import HelpCenterClient, parse_article_event
from integrations.http import RetryPolicy
from integrations.sandbox.app import build_sandboxes, create_sandbox_app
from integrations.sandbox.base import transport
from integrations.sandbox.helpcenter import HelpCenterSimulator
from integrations.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookRejected, verify

BASE = "https://maison.zendesk.com"
GIFT_CARDS = "360000101206"
MERINO = "360000101303"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock: Clock) -> HelpCenterSimulator:
    return HelpCenterSimulator(base_url=BASE, clock=clock)


@pytest.fixture
async def http(sim: HelpCenterSimulator):
    async with httpx.AsyncClient(transport=transport(sim)) as client:
        yield client


def mock(handler) -> httpx.MockTransport:
    """A transport answering from ``handler`` with a streamable body, as a server does."""

    def answer(request: httpx.Request) -> httpx.Response:
        response = handler(request)
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=httpx.ByteStream(response.content))  # fmt: skip

    return httpx.MockTransport(answer)


def agent(http: httpx.AsyncClient, **kw) -> HelpCenterClient:
    return HelpCenterClient(http, base_url=BASE, email="agent@example.com", api_token="demo", **kw)


async def test_lists_every_published_article_with_its_section_and_link(http):
    articles = await agent(http).articles()
    assert len(articles) == 39
    merino = next(a for a in articles if a.id == MERINO)
    assert merino.section == "Products, sizing & care"
    assert (
        merino.url
        == f"{BASE}/hc/en-us/articles/{MERINO}-How-to-wash-and-care-for-merino-wool-merino-scarf"
    )
    assert "<h2>Is the merino scarf machine washable?</h2>" in merino.body_html
    assert merino.locale == "en-us" and "merino" in merino.labels
    assert merino.updated_at == datetime(2026, 10, 6, 9, 20, tzinfo=UTC)


async def test_follows_cursor_pages(sim, monkeypatch):
    requests: list[httpx.Request] = []

    class Spy:
        faults = sim.faults

        async def handle(self, request: httpx.Request) -> httpx.Response:
            requests.append(request)
            return await sim.handle(request)

    monkeypatch.setattr("integrations.helpcenter.PAGE_SIZE", 10)  # 39 articles, 4 pages
    async with httpx.AsyncClient(transport=transport(Spy())) as client:
        articles = await agent(client).articles()
    assert len(articles) == 39 and len({a.id for a in articles}) == 39
    assert len(requests) == 4
    assert all(r.url.params["include"] == "sections" for r in requests)
    assert "page[after]" in requests[1].url.params


async def test_follows_offset_pages_when_the_api_answers_with_them():
    pages = {
        "1": {"articles": [_raw(1), _raw(2)], "page": 1, "per_page": 2, "page_count": 2,
              "count": 3, "next_page": f"{BASE}/api/v2/help_center/en-us/articles.json?page=2&per_page=2",
              "previous_page": None},
        "2": {"articles": [_raw(3)], "page": 2, "per_page": 2, "page_count": 2, "count": 3,
              "next_page": None, "previous_page": "..."},
    }  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[request.url.params.get("page", "1")])

    async with httpx.AsyncClient(transport=mock(handler)) as client:
        articles = await agent(client).articles()
    assert [a.id for a in articles] == ["1", "2", "3"]


async def test_drafts_are_never_returned(http, sim):
    sim.unpublish(GIFT_CARDS)
    ids = {a.id for a in await agent(http).articles()}
    assert GIFT_CARDS not in ids and len(ids) == 38


async def test_an_anonymous_client_reads_public_articles_but_not_the_export(http):
    anonymous = HelpCenterClient(http, base_url=BASE, anonymous=True)
    assert len(await anonymous.articles()) == 39
    with pytest.raises(AuthFailed):
        await anonymous.changed_since(datetime(2026, 1, 1, tzinfo=UTC))


async def test_wrong_credentials_are_refused(http):
    client = HelpCenterClient(http, base_url=BASE, email="agent@example.com", api_token="nope")
    with pytest.raises(AuthFailed):
        await client.articles()


def test_credentials_are_required_unless_anonymous():
    with pytest.raises(ValueError, match="api_token"):
        HelpCenterClient(httpx.AsyncClient(), base_url=BASE)


async def test_one_article_and_a_missing_one(http):
    client = agent(http)
    assert (await client.article(GIFT_CARDS)).title == "Gift cards"
    with pytest.raises(NotFound):
        await client.article("999")


async def test_a_locale_the_help_center_does_not_have_is_not_found(http):
    with pytest.raises(NotFound):
        await agent(http, locale="de").articles()


async def test_changed_since_reports_edits_and_withdrawals_then_nothing(http, sim, clock):
    client = agent(http)
    first = await client.changed_since(datetime(2026, 10, 9, 9, 30, tzinfo=UTC))
    assert [a.id for a in first.updated] == ["360000101605"]  # the last article written
    assert first.end_time == datetime(2026, 10, 9, 9, 40, tzinfo=UTC)

    clock.now += timedelta(minutes=5)
    sim.edit(MERINO, body_markdown="Hand wash only, in cold water.")
    clock.now += timedelta(minutes=1)
    sim.unpublish(GIFT_CARDS)
    sim.archive("360000101605")  # archived articles are not in the export
    changes = await client.changed_since(first.end_time)
    assert [a.id for a in changes.updated] == [MERINO]
    assert "Hand wash only" in changes.updated[0].body_html
    assert changes.removed == (GIFT_CARDS,)
    assert changes.end_time == clock.now.replace(microsecond=0)

    again = await client.changed_since(changes.end_time)
    assert again.updated == () and again.removed == ()
    assert again.end_time == changes.end_time


async def test_changed_since_follows_export_pages_by_start_time():
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("sections.json"):
            return httpx.Response(200, json={"sections": []})
        start = int(request.url.params["start_time"])
        calls.append(start)
        if start == 100:
            rows = [
                _raw(i, updated=f"2026-10-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z")
                for i in range(1000)
            ]
            return httpx.Response(200, json={"articles": rows, "end_time": 200, "count": 1000,
                                             "next_page": f"{BASE}/x?start_time=200"})  # fmt: skip
        return httpx.Response(200, json={"articles": [_raw(5000)], "end_time": 300, "count": 1,
                                         "next_page": None})  # fmt: skip

    async with httpx.AsyncClient(transport=mock(handler)) as client:
        changes = await agent(client).changed_since(datetime.fromtimestamp(100, UTC))
    assert calls == [100, 200]
    assert len(changes.updated) == 1001
    assert changes.end_time == datetime.fromtimestamp(300, UTC)


async def test_changed_article_in_another_locale_is_read_again_in_ours():
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("incremental/articles.json"):
            return httpx.Response(200, json={"articles": [_raw(7, locale="de"), _raw(8, locale="de")],
                                             "end_time": 50, "count": 2, "next_page": None})  # fmt: skip
        if path.endswith("sections.json"):
            return httpx.Response(200, json={"sections": [{"id": 10, "name": "Help"}]})
        if path == "/api/v2/help_center/en-us/articles/7.json":
            return httpx.Response(200, json={"article": _raw(7, title="In English")})
        return httpx.Response(404, json={"error": "RecordNotFound", "description": "Not found"})

    async with httpx.AsyncClient(transport=mock(handler)) as client:
        changes = await agent(client).changed_since(datetime.fromtimestamp(1, UTC))
    assert [(a.id, a.title, a.section) for a in changes.updated] == [("7", "In English", "Help")]
    assert changes.removed == ("8",)  # no English translation


async def test_search_uses_the_vendors_search_and_returns_snippets(http):
    hits = await agent(http).search("gift card balance")
    assert hits[0].article.title == "Gift cards"
    assert "<em>" in hits[0].snippet


async def test_an_unreadable_answer_is_a_bad_response():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"articles": [{"title": "no id"}]})

    async with httpx.AsyncClient(transport=mock(handler)) as client:
        with pytest.raises(BadResponse):
            await agent(client, retry=RetryPolicy(attempts=1)).articles()


async def test_sandbox_serves_guide_and_support_on_one_host_over_http():
    boxes = build_sandboxes(public_url="http://shop.test")
    server = TestServer(create_sandbox_app(boxes))
    await server.start_server()
    try:
        base = str(server.make_url("/sandbox/zendesk"))
        async with httpx.AsyncClient() as client:
            guide = HelpCenterClient(client, base_url=base, email="agent@example.com",
                                     api_token="demo")  # fmt: skip
            articles = await guide.articles()
            me = await client.get(f"{base}/api/v2/users/me.json",
                                  auth=("agent@example.com/token", "demo"))  # fmt: skip
            page = await client.get(f"{base}/hc/en-us/articles/{MERINO}-How-to-wash")
        assert len(articles) == 39
        assert articles[0].url.startswith("http://shop.test/sandbox/zendesk/hc/en-us/articles/")
        assert me.json()["user"]["name"] == "Support Bot"  # the Support sandbox still answers
        assert page.status_code == 200 and "machine washable" in page.text
    finally:
        await server.close()
        await boxes.aclose()


async def test_publishing_and_unpublishing_send_signed_article_events(clock):
    received: list[tuple[dict[str, str], bytes]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hooks", receive)
    server = TestServer(app)
    await server.start_server()
    sim = HelpCenterSimulator(base_url=BASE, clock=lambda: datetime.now(UTC),
                              webhook_url=str(server.make_url("/hooks")), webhook_secret="s3cret")  # fmt: skip
    try:
        sim.unpublish(GIFT_CARDS)
        sim.publish(GIFT_CARDS)
        sim.edit(MERINO, title="Merino care")  # Zendesk has no event for an edit
        await sim.webhooks.drain()
    finally:
        await sim.aclose()
        await server.close()
    events = []
    for headers, body in received:
        verify("s3cret", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER],
               now=datetime.now(UTC), tolerance_seconds=300)  # fmt: skip
        events.append(parse_article_event(body))
    assert [(e.kind, e.article_id, e.changes_content) for e in events] == [
        ("unpublished", GIFT_CARDS, True),
        ("published", GIFT_CARDS, True),
    ]
    assert events[1].title == "Gift cards" and events[1].locale == "en-us"


def test_reads_zendesks_documented_article_event():
    body = json.dumps({
        "account_id": 10168721, "detail": {"brand_id": "224348602", "id": "7005414006398"},
        "event": {"author_id": "225859532", "category_id": "7005437869694", "locale": "en-us",
                  "section_id": "7005437870078", "title": "Dolor est quo ratione."},
        "id": "01GX4P86AC7T0AFF86QGAHTEFR", "subject": "zen:article:7005414006398",
        "time": "2023-04-03T23:11:49.571545199Z", "type": "zen:event-type:article.published",
        "zendesk_event_version": "2022-11-06",
    }).encode()  # fmt: skip
    event = parse_article_event(body)
    assert (event.kind, event.article_id, event.brand_id) == (
        "published",
        "7005414006398",
        "224348602",
    )
    assert event.time == datetime(2023, 4, 3, 23, 11, 49, 571545, tzinfo=UTC)
    vote = json.loads(body)
    vote["type"] = "zen:event-type:article.vote_created"
    assert not parse_article_event(json.dumps(vote).encode()).changes_content


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1]", b'{"type": "zen:event-type:user.created", "detail": {"id": "1"}}',
     b'{"type": "zen:event-type:article.published", "detail": {}}'],
)  # fmt: skip
def test_other_bodies_are_rejected(body):
    with pytest.raises(WebhookRejected):
        parse_article_event(body)


def _raw(i: int, *, locale: str = "en-us", title: str | None = None,
         updated: str = "2026-10-01T00:00:00Z") -> dict[str, object]:  # fmt: skip
    return {"id": i, "title": title or f"Article {i}", "body": "<p>Text.</p>", "locale": locale,
            "section_id": 10, "draft": False, "updated_at": updated,
            "html_url": f"{BASE}/hc/{locale}/articles/{i}"}  # fmt: skip
