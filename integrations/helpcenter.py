"""Zendesk Help Center (Zendesk Guide) client: the shop's articles, their sections, what
changed since a time, the vendor's own article search, and the webhook events that
announce article changes.

Guide is served on the Support subdomain with the same credentials: API token (HTTP
Basic ``{email}/token:{token}``) or OAuth bearer. Lists and search also answer anonymous
callers (public articles only); the incremental export needs an agent.

Wire format, as confirmed (the vendored Support OAS does not cover Guide):

- ``GET /api/v2/help_center/{locale}/articles.json`` — ``{"articles": [...]}`` with
  cursor pagination when asked with ``page[size]`` (``meta.has_more``,
  ``meta.after_cursor``, ``links.next``) or offset pagination (``page``, ``per_page``,
  ``page_count``, ``count``, ``next_page``, ``previous_page``); ``include=sections``
  side-loads ``"sections": [...]``. Article fields used: ``id``, ``title``, ``body``
  (HTML), ``html_url``, ``section_id``, ``locale``, ``label_names``, ``draft``,
  ``updated_at``. Sources: developer.zendesk.com/api-reference/help_center/
  help-center-api/articles (JSON format table), Prismatic's recorded listArticles
  payload (cursor ``meta``/``links`` around ``articles``).
- ``GET /api/v2/help_center/{locale}/sections.json`` — ``{"sections": [{id, name,
  description, category_id, position, ...}]}`` (help-center-api/sections).
- ``GET /api/v2/help_center/incremental/articles.json?start_time={epoch}`` — articles
  whose metadata changed after ``start_time``, up to 1,000 a page; ``next_page`` carries
  a new ``start_time`` and ``end_time`` is the time of the page's last change; the next
  export starts at the previous ``end_time``. Agents only. Source: developer.zendesk.com
  documentation "Understanding incremental article exports".
- ``GET /api/v2/help_center/articles/search.json?query=...&locale=...`` — offset
  pagination with ``"results": [article + "snippet" + "result_type"]`` (help-center-api/
  search; field names as read by public clients).
- Webhooks (event subscriptions, not triggers): ``zen:event-type:article.published``,
  ``article.unpublished``, ``article.author_changed``, ``article.vote_*`` and
  ``article.comment_*``, each ``{"type", "id", "time", "subject": "zen:article:{id}",
  "detail": {"id", "brand_id"}, "event": {...}}`` — ``published`` carries ``locale``,
  ``title``, ``section_id``. Signed like every Zendesk webhook. Source:
  developer.zendesk.com/api-reference/webhooks/event-types/article-events. There is no
  event for an edit of a published article: the scheduled incremental sync finds those.

Choices where the reference is silent [U]: the incremental export is read in the
account's default locale, so a changed article whose ``locale`` differs from ours is
fetched again in ours (404: no translation, dropped); archived articles are not reported
by the export, so a periodic full :meth:`HelpCenterClient.articles` call removes them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from integrations.articles import Article, ArticleChanges, ArticleEvent, SearchHit, Section
from integrations.errors import BadResponse, NotFound
from integrations.http import ApiTransport, StaticAuth
from integrations.webhooks import WebhookRejected
from integrations.zendesk_api import call, credentials

__all__ = ["HelpCenterClient", "parse_article_event"]

VENDOR = "zendesk_guide"
PAGE_SIZE = 100
MAX_PAGES = 200  # 20,000 articles: far past any shop's help center
INCREMENTAL_PAGE = 1000  # the export's own page size


class HelpCenterClient:
    """One Zendesk Guide help center in one locale, through an injected ``httpx.AsyncClient``.

    Args:
        http: the shared client.
        base_url: ``https://{subdomain}.zendesk.com`` (or the sandbox mount).
        email, api_token: API-token auth; oauth_token: an OAuth access token.
        anonymous: no credentials: public articles only, no incremental export.
        locale: the help center locale to read, e.g. ``en-us``.
        transport_options: passed to :class:`ApiTransport`.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        email: str | None = None,
        api_token: str | None = None,
        oauth_token: str | None = None,
        anonymous: bool = False,
        locale: str = "en-us",
        **transport_options: Any,
    ) -> None:
        auth = credentials(email=email, api_token=api_token, oauth_token=oauth_token)
        if auth is None and anonymous:
            auth = StaticAuth({})
        if auth is None:
            raise ValueError("Zendesk Guide needs email + api_token, an oauth_token, or anonymous")
        self._auth = auth
        if not locale or "/" in locale:
            raise ValueError(f"bad locale {locale!r}")
        self.locale = locale.lower()
        self._sections: dict[str, Section] = {}
        self._transport = ApiTransport(http, vendor=VENDOR, base_url=base_url, **transport_options)

    # --- reading ---------------------------------------------------------------

    async def sections(self) -> list[Section]:
        """Every section of the help center in our locale."""
        raw = await self._list(f"/api/v2/help_center/{self.locale}/sections.json", "sections")
        sections = _parse(lambda rows: [_section(r) for r in rows], raw)
        self._sections = {s.id: s for s in sections}
        return sections

    async def articles(self) -> list[Article]:
        """Every published article in our locale, with its section's name."""
        sideloaded: list[Any] = []
        raw = await self._list(
            f"/api/v2/help_center/{self.locale}/articles.json",
            "articles",
            params={"include": "sections"},
            sideload=("sections", sideloaded),
        )
        for section in _parse(lambda rows: [_section(r) for r in rows], sideloaded):
            self._sections[section.id] = section
        articles = _parse(lambda rows: [self._article(r) for r in rows], raw)
        return [a for a in articles if not a.draft]

    async def article(self, article_id: str | int) -> Article:
        """One article in our locale (drafts included: check ``draft``).

        Raises:
            NotFound: no such article, or none in this locale.
        """
        data = await self._call(
            "GET", f"/api/v2/help_center/{self.locale}/articles/{article_id}.json", "article"
        )
        if not self._sections:
            await self.sections()
        return _parse(self._article, data["article"])

    async def changed_since(self, since: datetime) -> ArticleChanges:
        """Articles published, edited or withdrawn after ``since`` (the incremental export).

        Raises:
            AuthFailed: the credentials are not an agent's (or none were given).
        """
        start = max(0, int(since.timestamp()))
        seen: dict[str, dict[str, Any]] = {}
        end = start
        for _ in range(MAX_PAGES):
            data = await self._call(
                "GET",
                "/api/v2/help_center/incremental/articles.json",
                "articles",
                params={"start_time": start},
            )
            rows = data["articles"]
            for row in _parse(lambda r: [dict(x) for x in r], rows):
                seen[str(row.get("id"))] = row
            raw_end = data.get("end_time")
            page_end = start if raw_end is None else _parse(int, raw_end)
            end = max(end, page_end)
            if len(rows) < INCREMENTAL_PAGE or not data.get("next_page") or page_end <= start:
                break
            start = page_end
        else:
            raise BadResponse(f"more than {MAX_PAGES} pages of changes", vendor=VENDOR)
        if seen and not self._sections:
            await self.sections()
        updated: list[Article] = []
        removed: list[str] = []
        for article_id, row in seen.items():
            article: Article | None = _parse(self._article, row)
            if article is not None and article.locale != self.locale:
                try:
                    article = await self.article(article_id)
                except NotFound:
                    article = None
            if article is None or article.draft:
                removed.append(article_id)
            else:
                updated.append(article)
        return ArticleChanges(tuple(updated), tuple(removed), datetime.fromtimestamp(end, UTC))

    async def search(self, query: str, *, per_page: int = 10) -> list[SearchHit]:
        """The vendor's own full-text search, first page (best first)."""
        data = await self._call(
            "GET",
            "/api/v2/help_center/articles/search.json",
            "results",
            params={"query": query, "locale": self.locale, "per_page": max(1, min(per_page, 100))},
        )

        def read(rows: list[dict[str, Any]]) -> list[SearchHit]:
            return [
                SearchHit(self._article(r), str(r.get("snippet") or ""))
                for r in rows
                if r.get("result_type", "article") == "article"
            ]

        return _parse(read, data["results"])

    # --- plumbing --------------------------------------------------------------

    def _article(self, raw: Mapping[str, Any]) -> Article:
        section_id = raw.get("section_id")
        section = self._sections.get(str(section_id)) if section_id is not None else None
        return Article(
            id=str(int(raw["id"])),
            title=str(raw.get("title") or raw.get("name") or ""),
            body_html=str(raw.get("body") or ""),
            url=raw.get("html_url"),
            section=section.name if section else None,
            section_id=str(section_id) if section_id is not None else None,
            locale=str(raw.get("locale") or self.locale).lower(),
            labels=tuple(str(x) for x in raw.get("label_names") or ()),
            updated_at=_time(raw.get("updated_at")),
            draft=bool(raw.get("draft", False)),
        )

    async def _list(
        self,
        path: str,
        key: str,
        *,
        params: Mapping[str, Any] | None = None,
        sideload: tuple[str, list[Any]] | None = None,
    ) -> list[Any]:
        """Every page of a list, following the cursor (``links.next``) or the offset
        (``next_page``) link; only a link's query string is used, so a ``next`` link can
        never send our credentials to another host."""
        query: Any = {**(params or {}), "page[size]": PAGE_SIZE}
        rows: list[Any] = []
        for _ in range(MAX_PAGES):
            data = await self._call("GET", path, key, params=query)
            rows.extend(data[key] or [])
            if sideload is not None:
                sideload[1].extend(data.get(sideload[0]) or [])
            meta, links = data.get("meta") or {}, data.get("links") or {}
            if meta.get("has_more") and links.get("next"):
                query = httpx.URL(str(links["next"])).params
            elif not meta and data.get("next_page"):
                query = httpx.URL(str(data["next_page"])).params
            else:
                return rows
        raise BadResponse(f"more than {MAX_PAGES} pages of {key}", vendor=VENDOR)

    async def _call(self, method: str, path: str, key: str, **kw: Any) -> dict[str, Any]:
        return await call(self._transport, self._auth, method, path, key, vendor=VENDOR, **kw)


def parse_article_event(body: bytes) -> ArticleEvent:
    """Read a (verified) Zendesk webhook body about an article.

    Raises:
        WebhookRejected: not JSON, or not an ``zen:event-type:article.*`` event.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected("webhook body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookRejected("webhook body is not an object")
    kind = str(data.get("type") or "")
    prefix = "zen:event-type:article."
    if not kind.startswith(prefix):
        raise WebhookRejected(f"not an article event: {kind[:60]!r}")
    detail = data.get("detail") if isinstance(data.get("detail"), dict) else {}
    event = data.get("event") if isinstance(data.get("event"), dict) else {}
    article_id = str(detail.get("id") or str(data.get("subject") or "").rpartition(":")[2])
    if not article_id.isdigit():
        raise WebhookRejected("no article id in the event")
    try:
        when = _time(data.get("time"))
    except ValueError:
        when = None
    return ArticleEvent(
        id=str(data.get("id") or ""),
        kind=kind[len(prefix) :],
        article_id=article_id,
        brand_id=str(detail["brand_id"]) if detail.get("brand_id") is not None else None,
        locale=str(event["locale"]).lower() if event.get("locale") else None,
        title=str(event["title"]) if event.get("title") else None,
        time=when,
    )


def _parse(read: Callable[[Any], Any], raw: Any) -> Any:
    try:
        return read(raw)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadResponse(f"unexpected shape: {exc!r}", vendor=VENDOR) from exc


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    # Zendesk writes "2026-10-05T11:50:00Z"; webhook times carry nanoseconds.
    text = str(value)
    if "." in text:
        head, _, tail = text.partition(".")
        zone = tail.lstrip("0123456789")
        text = f"{head}.{tail[: len(tail) - len(zone)][:6]}{zone}"
    return datetime.fromisoformat(text)


def _section(raw: Mapping[str, Any]) -> Section:
    category = raw.get("category_id")
    return Section(
        id=str(int(raw["id"])),
        name=str(raw.get("name") or ""),
        description=str(raw.get("description") or ""),
        category_id=str(category) if category is not None else None,
        position=int(raw.get("position") or 0),
    )
