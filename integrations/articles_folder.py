"""Help-center articles from a folder of Markdown files, for shops without Zendesk Guide.

One file per article, ``<slug>.md``, with YAML front matter::

    ---
    id: 360000101206          # optional; the file name (slug) when absent
    title: Gift cards         # required
    section: payments         # a key of _sections.yml, or any section name
    labels: [gift card, voucher]
    position: 6               # order inside the section
    updated_at: 2026-10-05T11:50:00Z   # optional; the file's mtime when absent
    draft: false              # drafts are never answered from
    url: https://shop.example/pages/gift-cards   # optional link for the customer
    ---
    Markdown body (CommonMark plus tables).

An optional ``_sections.yml`` names the sections (``sections: {key: {id, name,
description}}`` and a ``category``). The body is rendered to HTML with markdown-it-py,
so a folder article is split into passages exactly like a Zendesk one.

A file that cannot be read (bad front matter, no title, a duplicate id) is skipped and
named in :attr:`ArticleFolder.problems` and the log; the others still load. Changes are
found by content: each call compares what it reads with what the previous call read.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from integrations.articles import Article, ArticleChanges, Section

__all__ = ["ArticleFolder", "load_sections", "read_article", "render_markdown"]

log = logging.getLogger(__name__)
SECTIONS_FILE = "_sections.yml"


@dataclass(frozen=True)
class _Read:
    article: Article
    digest: str
    position: int


class ArticleFolder:
    """The articles of one folder, as an :class:`~integrations.articles.ArticleSource`.

    Args:
        path: the folder.
        base_url: when given, an article without ``url`` links to ``{base_url}/{slug}``.
        locale: the locale the articles are written in.
    """

    def __init__(self, path: Path | str, *, base_url: str | None = None, locale: str = "en-us"):
        self.path = Path(path)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.locale = locale
        self.problems: list[str] = []
        self._seen: dict[str, str] | None = None  # id -> content digest at the last call

    async def articles(self) -> list[Article]:
        """Every published article, by section then position."""
        reads = await asyncio.to_thread(self._read_all)
        self._seen = {r.article.id: r.digest for r in reads if not r.article.draft}
        return [r.article for r in reads if not r.article.draft]

    def load(self, *, include_drafts: bool = False) -> list[Article]:
        """The articles read now, synchronously, by section then position."""
        return [r.article for r in self._read_all() if include_drafts or not r.article.draft]

    async def changed_since(self, since: datetime) -> ArticleChanges:
        """Articles added or edited, and ids withdrawn, since the previous call (or, on a
        first call, articles whose ``updated_at`` is after ``since``)."""
        now = datetime.now(UTC)
        reads = await asyncio.to_thread(self._read_all)
        live = {r.article.id: r for r in reads if not r.article.draft}
        if self._seen is None:
            updated = [
                r.article
                for r in live.values()
                if r.article.updated_at and r.article.updated_at > since
            ]
            removed: list[str] = []
        else:
            updated = [r.article for i, r in live.items() if self._seen.get(i) != r.digest]
            removed = sorted(set(self._seen) - set(live))
        self._seen = {i: r.digest for i, r in live.items()}
        return ArticleChanges(tuple(updated), tuple(removed), now)

    def sections(self) -> list[Section]:
        return list(load_sections(self.path).values())

    def _read_all(self) -> list[_Read]:
        if not self.path.is_dir():
            raise FileNotFoundError(f"no article folder at {self.path}")
        self.problems = []
        sections = load_sections(self.path)
        reads: list[_Read] = []
        ids: set[str] = set()
        for file in sorted(self.path.glob("*.md")):
            try:
                read = _read(file, sections, self.locale, self.base_url)
            except (OSError, ValueError, yaml.YAMLError) as exc:
                self._problem(f"{file.name}: {exc}")
                continue
            if read.article.id in ids:
                self._problem(f"{file.name}: id {read.article.id} is used by another file")
                continue
            ids.add(read.article.id)
            reads.append(read)
        order = {s.name: s.position for s in sections.values()}
        reads.sort(
            key=lambda r: (order.get(r.article.section or "", 999), r.position, r.article.id)
        )
        return reads

    def _problem(self, message: str) -> None:
        self.problems.append(message)
        log.warning("article skipped: %s", message)


def load_sections(folder: Path) -> dict[str, Section]:
    """The sections of ``_sections.yml`` by key (empty when the file is absent)."""
    file = folder / SECTIONS_FILE
    if not file.is_file():
        return {}
    data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not isinstance(data.get("sections", {}), dict):
        raise ValueError(f"{file}: expected a mapping with 'sections'")
    category = data.get("category") or {}
    category_id = str(category["id"]) if isinstance(category, dict) and "id" in category else None
    out: dict[str, Section] = {}
    for position, (key, raw) in enumerate((data.get("sections") or {}).items()):
        raw = raw if isinstance(raw, dict) else {}
        out[str(key)] = Section(
            id=str(raw.get("id", key)),
            name=str(raw.get("name", key)),
            description=str(raw.get("description") or ""),
            category_id=category_id,
            position=position,
        )
    return out


def read_article(file: Path, sections: dict[str, Section] | None = None, **kw: Any) -> Article:
    """One Markdown article file as an :class:`Article` (raises ``ValueError`` if malformed)."""
    return _read(file, sections or {}, kw.get("locale", "en-us"), kw.get("base_url")).article


def render_markdown(text: str) -> str:
    """CommonMark plus tables, as HTML; raw HTML in the Markdown is escaped, not passed on."""
    from markdown_it import MarkdownIt

    return str(MarkdownIt("commonmark", {"html": False}).enable("table").render(text))


def _read(file: Path, sections: dict[str, Section], locale: str, base_url: str | None) -> _Read:
    text = file.read_text(encoding="utf-8")
    meta, body = _front_matter(text)
    title = str(meta.get("title") or "").strip()
    if not title:
        raise ValueError("no title in the front matter")
    slug = file.stem
    section_key = meta.get("section")
    section = sections.get(str(section_key)) if section_key is not None else None
    if section is None and section_key is not None:
        section = Section(id=str(section_key), name=str(section_key))
    labels = meta.get("labels") or ()
    if isinstance(labels, str):
        labels = [part.strip() for part in labels.split(",")]
    updated = meta.get("updated_at")
    if isinstance(updated, str):
        updated = datetime.fromisoformat(updated)
    if not isinstance(updated, datetime):
        updated = datetime.fromtimestamp(file.stat().st_mtime, UTC)
    elif updated.tzinfo is None:
        updated = updated.replace(tzinfo=UTC)
    url = meta.get("url") or (f"{base_url}/{slug}" if base_url else None)
    article = Article(
        id=str(meta.get("id", slug)),
        title=title,
        body_html=render_markdown(body),
        url=str(url) if url else None,
        section=section.name if section else None,
        section_id=section.id if section else None,
        locale=str(meta.get("locale") or locale),
        labels=tuple(str(label) for label in labels),
        updated_at=updated,
        draft=bool(meta.get("draft", False)),
        slug=slug,
    )
    digest = hashlib.sha256(text.encode()).hexdigest()
    position = int(meta.get("position") or 0)
    return _Read(article, digest, position)


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        raise ValueError("no front matter (the file must start with a '---' line)")
    _, sep, rest = text.partition("\n")
    head, sep, body = rest.partition("\n---")
    if not sep:
        raise ValueError("front matter is not closed by a '---' line")
    meta = yaml.safe_load(head) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter must be a YAML mapping")
    return meta, body.partition("\n")[2]
