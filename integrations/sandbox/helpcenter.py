"""An in-memory Zendesk Guide help center, seeded with the demo shop's articles
(``helpcenter_articles/*.md``, the same files a folder-based shop would use), served
with the Help Center API's paths, shapes, pagination and errors (see
:mod:`integrations.helpcenter` for the sources of the wire format).

Mounted on the Zendesk sandbox's prefix, as Zendesk serves Guide on the Support
subdomain: ``/sandbox/zendesk/api/v2/help_center/...``; the public article pages the
links point to are served too (``/sandbox/zendesk/hc/en-us/articles/{id}-{slug}``).

Auth: the Zendesk sandbox's agent (Basic ``agent@example.com/token:demo`` or Bearer
``demo``); anonymous callers may list, show and search published articles; the
incremental export needs the agent. Agents see drafts in lists, as in Zendesk.

Changes for tests and the demo: :meth:`HelpCenterSimulator.edit` (no webhook: Zendesk
has no event for an edit), :meth:`publish`, :meth:`unpublish` (becomes a draft) and
:meth:`archive` (gone from every list, the incremental export included). Publishing and
unpublishing send the ``zen:event-type:article.*`` webhook events to ``webhook_url``
when one is given, signed like the Zendesk sandbox's trigger webhooks.

Simplifications: one locale (``en-us``); search ranks by counting query words (title
words count three times); cursors encode the position in the sorted list.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from integrations.articles import Article, Section
from integrations.articles_folder import ArticleFolder, load_sections, render_markdown
from integrations.sandbox.base import Faults, json_response
from integrations.sandbox.helpcenter_wire import paginate, snippet, text_of, words
from integrations.sandbox.zendesk_webhooks import Invocation, WebhookSender

__all__ = ["ARTICLES_DIR", "HelpCenterSimulator"]

ARTICLES_DIR = Path(__file__).resolve().parent / "helpcenter_articles"
LOCALE = "en-us"
AUTHOR_ID = 361000001  # the Zendesk sandbox's agent
_LOC = r"(?:/([a-z]{2}(?:-[a-z]{2})?))?"
_AUTH_FAILED = {"error": "Couldn't authenticate you"}
_NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}


@dataclass
class _Article:
    article: Article
    position: int
    created_at: datetime
    edited_at: datetime
    updated_at: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.updated_at = self.edited_at


class _Reject(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status, self.body = status, body


class HelpCenterSimulator:
    """A fake Zendesk Guide. Serve it with :func:`integrations.sandbox.base.mount`.

    Args:
        folder: the Markdown articles to seed from (the demo shop's by default).
        agent_email, api_token: accepted agent credentials (``api_token`` is also the
            accepted OAuth bearer token), as in the Zendesk sandbox.
        base_url: the public address of the mount, for ``url``/``html_url`` fields and
            pagination links; the request's own address without the prefix otherwise.
        clock: the current time, for edits and webhook timestamps.
        webhook_url, webhook_secret, http: where article events are POSTed, and how.
    """

    def __init__(
        self,
        *,
        folder: Path = ARTICLES_DIR,
        agent_email: str = "agent@example.com",
        api_token: str = "demo",
        base_url: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        webhook_url: str | None = None,
        webhook_secret: str = "demo",
        http: httpx.AsyncClient | None = None,
        retry_delays: Sequence[float] = (2.0, 10.0, 60.0),
        account_id: int = 12514403,
        brand_id: int = 360000000501,
    ) -> None:
        self.faults = Faults()
        self.base_url = base_url.rstrip("/") if base_url else None
        self.account_id, self.brand_id = account_id, brand_id
        self.webhooks = WebhookSender(
            url=webhook_url, secret=webhook_secret, clock=clock, http=http,
            retry_delays=retry_delays, account_id=account_id,
            webhook_id="01HSANDBOXGUIDEWEBHOOK0001",
        )  # fmt: skip
        self._clock = clock
        self._basic = base64.b64encode(f"{agent_email}/token:{api_token}".encode()).decode()
        self._token = api_token
        self.sections: dict[str, Section] = {s.id: s for s in load_sections(folder).values()}
        self.articles: dict[str, _Article] = {}
        positions: dict[str | None, itertools.count[int]] = {}
        for article in ArticleFolder(folder, locale=LOCALE).load(include_drafts=True):
            at = article.updated_at or clock()
            counter = positions.setdefault(article.section_id, itertools.count())
            self.articles[article.id] = _Article(article, next(counter), at, at)
        self._ids = itertools.count(max((int(i) for i in self.articles), default=360000200000) + 1)
        self._routes: list[tuple[re.Pattern[str], Callable[..., httpx.Response]]] = [
            (re.compile(r"/api/v2/help_center/incremental/articles(?:\.json)?"), self._incremental),
            (re.compile(r"/api/v2/help_center/articles/search(?:\.json)?"), self._search),
            (re.compile(rf"/api/v2/help_center{_LOC}/articles\.json"), self._list_articles),
            (re.compile(rf"/api/v2/help_center{_LOC}/articles/(\d+)\.json"), self._show_article),
            (re.compile(rf"/api/v2/help_center{_LOC}/sections\.json"), self._list_sections),
            (
                re.compile(rf"/api/v2/help_center{_LOC}/sections/(\d+)/articles\.json"),
                self._list_articles,
            ),
            (re.compile(r"/hc/([a-z]{2}(?:-[a-z]{2})?)/articles/(\d+)(?:-[^/]*)?"), self._page),
        ]

    # --- changes ---------------------------------------------------------------

    def edit(self, article_id: str, *, title: str | None = None, body_markdown: str | None = None,
             labels: Sequence[str] | None = None) -> Article:  # fmt: skip
        """Change a published or draft article, as an editor saving it would."""
        record = self._record(article_id)
        article = record.article
        record.article = replace(
            article,
            title=title if title is not None else article.title,
            body_html=render_markdown(body_markdown)
            if body_markdown is not None
            else article.body_html,
            labels=tuple(labels) if labels is not None else article.labels,
        )
        record.edited_at = record.updated_at = self._clock()
        return record.article

    def add(self, *, title: str, body_markdown: str, section_id: str, draft: bool = True) -> str:
        """A new article (a draft unless told otherwise); returns its id."""
        now = self._clock()
        article_id = str(next(self._ids))
        position = sum(1 for r in self.articles.values() if r.article.section_id == section_id)
        section = self.sections.get(section_id)
        article = Article(
            id=article_id, title=title, body_html=render_markdown(body_markdown),
            section=section.name if section else None, section_id=section_id, locale=LOCALE,
            draft=draft,
        )  # fmt: skip
        self.articles[article_id] = _Article(article, position, now, now)
        if not draft:
            self._event(self.articles[article_id], "published")
        return article_id

    def publish(self, article_id: str) -> None:
        record = self._record(article_id)
        record.article = replace(record.article, draft=False)
        record.updated_at = self._clock()
        self._event(record, "published")

    def unpublish(self, article_id: str) -> None:
        """Withdraw an article: it becomes a draft, still listed for agents."""
        record = self._record(article_id)
        record.article = replace(record.article, draft=True)
        record.updated_at = self._clock()
        self._event(record, "unpublished")

    def archive(self, article_id: str) -> None:
        """Archive an article: it disappears from every list and from the export."""
        self.articles.pop(str(article_id))

    async def aclose(self) -> None:
        await self.webhooks.aclose()

    # --- serving ---------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        try:
            agent = self._caller(request)
            if request.method != "GET":
                raise _Reject(403, {"error": "Forbidden", "description": "Read-only sandbox"})
            for pattern, view in self._routes:
                match = pattern.fullmatch(request.url.path)
                if match:
                    return view(request, agent, *match.groups())
            raise _Reject(404, {"error": "InvalidEndpoint", "description": "Not found"})
        except _Reject as exc:
            return json_response(exc.status, exc.body)

    def _caller(self, request: httpx.Request) -> bool:
        header = request.headers.get("authorization")
        if header is None:
            return False
        scheme, _, value = header.partition(" ")
        if (scheme.lower() == "basic" and value.strip() == self._basic) or (
            scheme.lower() == "bearer" and value.strip() == self._token
        ):
            return True
        raise _Reject(401, _AUTH_FAILED)

    # --- views -----------------------------------------------------------------

    def _list_articles(self, request: httpx.Request, agent: bool, locale: str | None,
                       section_id: str | None = None) -> httpx.Response:  # fmt: skip
        _check_locale(locale)
        if section_id is not None and section_id not in self.sections:
            raise _Reject(404, _NOT_FOUND)
        params = request.url.params
        records = [
            r for r in self._visible(agent)
            if section_id is None or r.article.section_id == section_id
        ]  # fmt: skip
        labels = [x.strip() for x in params.get("label_names", "").split(",") if x.strip()]
        if labels:
            records = [r for r in records if set(labels) <= set(r.article.labels)]
        records = self._sorted(records, params.get("sort_by"), params.get("sort_order"))
        body, page = self._paginate(request, records, "articles")
        body["articles"] = [self._json(r, request) for r in page]
        if "sections" in params.get("include", "").split(","):
            ids = dict.fromkeys(r.article.section_id for r in page)
            body["sections"] = [self._section_json(self.sections[i], request) for i in ids
                                if i in self.sections]  # fmt: skip
        return json_response(200, body)

    def _show_article(self, request: httpx.Request, agent: bool, locale: str | None,
                      article_id: str) -> httpx.Response:  # fmt: skip
        _check_locale(locale)
        record = self.articles.get(article_id)
        if record is None or (record.article.draft and not agent):
            raise _Reject(404, _NOT_FOUND)
        return json_response(200, {"article": self._json(record, request)})

    def _list_sections(self, request: httpx.Request, agent: bool, locale: str | None
                       ) -> httpx.Response:  # fmt: skip
        _check_locale(locale)
        sections = sorted(self.sections.values(), key=lambda s: s.position)
        body, page = self._paginate(request, sections, "sections")
        body["sections"] = [self._section_json(s, request) for s in page]
        return json_response(200, body)

    def _incremental(self, request: httpx.Request, agent: bool) -> httpx.Response:
        if not agent:
            raise _Reject(401, _AUTH_FAILED)
        raw = request.url.params.get("start_time")
        try:
            start = int(raw) if raw is not None else None
        except ValueError:
            start = None
        if start is None:
            raise _Reject(400, {"error": "InvalidValue", "description": "start_time is required"})
        changed = sorted(
            (r for r in self.articles.values() if r.updated_at.timestamp() > start),
            key=lambda r: (r.updated_at, int(r.article.id)),
        )
        page = changed[:1000]
        end = int(page[-1].updated_at.timestamp()) if page else start
        more = len(changed) > len(page)
        url = f"{self._base(request)}/api/v2/help_center/incremental/articles.json"
        return json_response(200, {
            "articles": [self._json(r, request) for r in page],
            "next_page": f"{url}?start_time={end}" if more else None,
            "end_time": end,
            "count": len(page),
        })  # fmt: skip

    def _search(self, request: httpx.Request, agent: bool) -> httpx.Response:
        params = request.url.params
        locale = params.get("locale")
        if locale not in (None, "", "*"):
            _check_locale(locale.lower())
        terms = words(params.get("query", ""))
        if not terms:
            raise _Reject(400, {"error": "InvalidSearch", "description": "query is required"})
        scored = []
        for record in self._visible(False):
            title = words(record.article.title)
            body = words(text_of(record.article.body_html))
            score = sum(3 * title.count(w) + body.count(w) for w in terms)
            if score:
                scored.append((score, record))
        scored.sort(key=lambda sr: (-sr[0], sr[1].position))
        body, page = self._paginate(request, [r for _, r in scored], "results", cursor=False,
                                    default_size=25)  # fmt: skip
        body["results"] = [
            {**self._json(r, request), "result_type": "article",
             "snippet": snippet(r.article.body_html, terms)}
            for r in page
        ]  # fmt: skip
        return json_response(200, body)

    def _page(self, request: httpx.Request, agent: bool, locale: str, article_id: str
              ) -> httpx.Response:  # fmt: skip
        record = self.articles.get(article_id)
        if locale != LOCALE or record is None or record.article.draft:
            return httpx.Response(404, text="<h1>Page not found</h1>",
                                  headers={"content-type": "text/html; charset=utf-8"})  # fmt: skip
        a = record.article
        page = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(a.title)} – Maison Demo Help</title></head><body>"
                f"<p><a href=\"#\">{html.escape(a.section or '')}</a></p>"
                f"<h1>{html.escape(a.title)}</h1>{a.body_html}</body></html>")  # fmt: skip
        return httpx.Response(200, text=page, headers={"content-type": "text/html; charset=utf-8"})

    # --- plumbing --------------------------------------------------------------

    def _visible(self, agent: bool) -> list[_Article]:
        return [r for r in self.articles.values() if agent or not r.article.draft]

    def _sorted(self, records: list[_Article], by: str | None, order: str | None
                ) -> list[_Article]:  # fmt: skip
        sections = {s.id: s.position for s in self.sections.values()}
        keys: dict[str, Callable[[_Article], Any]] = {
            "position": lambda r: (sections.get(r.article.section_id or "", 999), r.position),
            "title": lambda r: r.article.title.lower(),
            "created_at": lambda r: r.created_at,
            "updated_at": lambda r: r.updated_at,
        }
        key = keys.get(by or "position", keys["position"])
        return sorted(records, key=key, reverse=order == "desc")

    def _paginate(self, request: httpx.Request, items: list[Any], key: str, *,
                  cursor: bool = True, default_size: int = 30) -> tuple[dict[str, Any], list[Any]]:  # fmt: skip
        url = f"{self._base(request)}{request.url.path}"
        try:
            return paginate(
                request.url.params, url, items, cursor=cursor, default_size=default_size
            )
        except ValueError:
            raise _Reject(400, {"error": "InvalidPaginationParameter",
                                "description": "Invalid pagination parameter"}) from None  # fmt: skip

    def _json(self, record: _Article, request: httpx.Request) -> dict[str, Any]:
        a, base = record.article, self._base(request)
        return {
            "id": int(a.id),
            "url": f"{base}/api/v2/help_center/{LOCALE}/articles/{a.id}.json",
            "html_url": self.html_url(a, base),
            "author_id": AUTHOR_ID, "comments_disabled": True, "draft": a.draft,
            "promoted": False, "position": record.position, "vote_sum": 0, "vote_count": 0,
            "section_id": int(a.section_id) if a.section_id else None,
            "created_at": _stamp(record.created_at), "updated_at": _stamp(record.updated_at),
            "edited_at": _stamp(record.edited_at), "name": a.title, "title": a.title,
            "source_locale": LOCALE, "locale": LOCALE, "outdated": False, "outdated_locales": [],
            "permission_group_id": 360000000601, "user_segment_id": None,
            "content_tag_ids": [], "label_names": list(a.labels), "body": a.body_html,
        }  # fmt: skip

    def html_url(self, article: Article, base: str | None = None) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", article.title).strip("-")
        return f"{base or self.base_url or ''}/hc/{LOCALE}/articles/{article.id}-{slug}"

    def _section_json(self, section: Section, request: httpx.Request) -> dict[str, Any]:
        base = self._base(request)
        return {
            "id": int(section.id), "name": section.name, "description": section.description,
            "locale": LOCALE, "source_locale": LOCALE, "position": section.position,
            "category_id": int(section.category_id) if section.category_id else None,
            "parent_section_id": None, "outdated": False, "sorting": "manual",
            "url": f"{base}/api/v2/help_center/{LOCALE}/sections/{section.id}.json",
            "html_url": f"{base}/hc/{LOCALE}/sections/{section.id}",
            "created_at": "2026-09-01T09:00:00Z", "updated_at": "2026-09-01T09:00:00Z",
        }  # fmt: skip

    def _base(self, request: httpx.Request) -> str:
        return self.base_url or f"{request.url.scheme}://{request.url.netloc.decode()}"

    def _record(self, article_id: str) -> _Article:
        record = self.articles.get(str(article_id))
        if record is None:
            raise KeyError(f"no article {article_id}")
        return record

    def _event(self, record: _Article, kind: str) -> None:
        a, now = record.article, self._clock()
        event: dict[str, Any] = {}
        if kind == "published":
            event = {"author_id": str(AUTHOR_ID), "category_id": str(self._category(a)),
                     "locale": LOCALE, "section_id": a.section_id, "title": a.title}  # fmt: skip
        payload = {
            "account_id": self.account_id,
            "detail": {"brand_id": str(self.brand_id), "id": a.id},
            "event": event,
            "id": uuid.uuid4().hex.upper()[:26],
            "subject": f"zen:article:{a.id}",
            "time": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "type": f"zen:event-type:article.{kind}",
            "zendesk_event_version": "2022-11-06",
        }
        body = json.dumps(payload).encode()
        # One invocation per event; the trigger-shaped record has no ticket here.
        self.webhooks.send(Invocation(id=uuid.uuid4().hex, ticket_id=0, event=kind, body=body))

    def _category(self, article: Article) -> str | None:
        section = self.sections.get(article.section_id or "")
        return section.category_id if section else None


def _check_locale(locale: str | None) -> None:
    if locale is not None and locale != LOCALE:
        raise _Reject(404, _NOT_FOUND)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
