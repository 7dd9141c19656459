"""Help-center articles as the bot reads them, whatever holds them.

Two sources give the same records through one interface, :class:`ArticleSource`:
:class:`~integrations.helpcenter.HelpCenterClient` (Zendesk Guide) and
:class:`~integrations.articles_folder.ArticleFolder` (Markdown files, for shops without
Zendesk Guide). The retrieval index (``nlu.retrieval``) takes these records; it never
sees raw JSON or files.

Ids are strings: Zendesk's numeric ids as text, or a folder article's ``id`` (its file
name when it has none), so one index holds either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["Article", "ArticleChanges", "ArticleEvent", "ArticleSource", "SearchHit", "Section"]


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    description: str = ""
    category_id: str | None = None
    position: int = 0


@dataclass(frozen=True)
class Article:
    """One article in one locale. ``body_html`` is HTML (Zendesk stores HTML; a folder's
    Markdown is rendered to HTML), so every source is split into passages the same way."""

    id: str
    title: str
    body_html: str
    url: str | None = None  # the public page to link the customer to
    section: str | None = None  # the section's name
    section_id: str | None = None
    locale: str = "en-us"
    labels: tuple[str, ...] = ()
    updated_at: datetime | None = None
    draft: bool = False
    slug: str | None = None  # a folder article's file name; Zendesk's has none

    @property
    def keys(self) -> tuple[str, ...]:
        """The names a question set may use for this article: its id and its slug."""
        return (self.id,) if not self.slug or self.slug == self.id else (self.id, self.slug)


@dataclass(frozen=True)
class ArticleChanges:
    """What changed since a point in time.

    ``updated`` holds new and edited published articles; ``removed`` the ids to drop
    (unpublished, made drafts, or gone); ``end_time`` is where the next call starts.
    """

    updated: tuple[Article, ...]
    removed: tuple[str, ...]
    end_time: datetime


@dataclass(frozen=True)
class SearchHit:
    """One result of the vendor's own article search, with its highlighted snippet."""

    article: Article
    snippet: str = ""


@dataclass(frozen=True)
class ArticleEvent:
    """A Zendesk webhook event about an article (``zen:event-type:article.*``).

    ``kind`` is the part after ``article.``: ``published``, ``unpublished``,
    ``author_changed``, ``vote_created``, ``comment_created``...
    """

    id: str  # the event's id, for de-duplication
    kind: str
    article_id: str
    brand_id: str | None
    locale: str | None
    title: str | None
    time: datetime | None

    @property
    def changes_content(self) -> bool:
        """Whether the index must look at the article again (votes and comments do not)."""
        return self.kind in ("published", "unpublished")


class ArticleSource(Protocol):
    """Where articles come from. Both calls raise the source's own errors
    (``integrations.errors`` for Zendesk, ``OSError``/``ValueError`` for a folder)."""

    async def articles(self) -> list[Article]:
        """Every published article (drafts left out)."""
        ...

    async def changed_since(self, since: datetime) -> ArticleChanges:
        """What was published, edited or withdrawn after ``since``."""
        ...
