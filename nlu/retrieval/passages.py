"""Articles split into passages: the piece of an article that answers a question.

An article's HTML is read into blocks (paragraphs, whole lists, whole tables) under
their headings. A heading's section is one passage when it is short; a long section is
split into its blocks, each keeping its heading. The text before the first heading is
the lead passage. Zendesk's HTML and a folder's rendered Markdown go through the same
path.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Protocol

__all__ = ["MAX_WORDS", "ArticleLike", "Passage", "html_blocks", "split_article"]

MAX_WORDS = 120  # a section longer than this is split into its blocks
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "ul", "ol", "table", "blockquote", "pre", "dl"}
_BREAK, _CELL = "\x1e", "\x1f"  # structural line and cell breaks; other whitespace folds


class ArticleLike(Protocol):
    """What the index needs of an article (``integrations.articles.Article`` fits)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def body_html(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def labels(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Passage:
    article_id: str
    index: int  # its place in the article, from 0
    heading: str  # the heading above it; "" for the lead
    text: str  # plain text, paragraphs separated by blank lines, list items by "- "

    @property
    def words(self) -> int:
        return len(self.text.split())


def split_article(article: ArticleLike) -> list[Passage]:
    """The article's passages in reading order (at least one unless the body is empty)."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    for kind, text in html_blocks(article.body_html):
        if kind == "heading":
            sections.append((text, []))
        elif text:
            sections[-1][1].append(text)
    out: list[Passage] = []
    for heading, blocks in sections:
        if not blocks:
            continue
        if sum(len(b.split()) for b in blocks) <= MAX_WORDS:
            out.append(Passage(article.id, len(out), heading, "\n\n".join(blocks)))
        else:
            for block in blocks:
                out.append(Passage(article.id, len(out), heading, block))
    return out


def html_blocks(body_html: str) -> list[tuple[str, str]]:
    """``("heading" | "block", text)`` in order; inline markup dropped, entities decoded."""
    parser = _Blocks()
    try:
        parser.feed(body_html)
        parser.close()
    except AssertionError:  # html.parser on some malformed markup: keep what was read
        pass
    parser.flush()
    return parser.blocks


class _Blocks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self._kind = "block"
        self._parts: list[str] = []
        self._depth = 0  # nesting of block containers (a list inside a list stays one block)
        self._skip = 0  # inside <script>/<style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _HEADINGS:
            self.flush()
            self._kind = "heading"
        elif tag in _BLOCKS:
            if self._depth == 0:
                self.flush()
            self._depth += 1
        elif tag == "li":
            self._parts.append(f"{_BREAK}- ")
        elif tag == "tr":
            self._parts.append(_BREAK)
        elif tag in ("td", "th"):
            self._parts.append(_CELL)
        elif tag == "br":
            self._parts.append(_BREAK)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _HEADINGS:
            self.flush()
        elif tag in _BLOCKS:
            self._depth = max(0, self._depth - 1)
            if self._depth == 0:
                self.flush()
        elif tag == "div" and self._depth == 0:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._parts.append(data)

    def flush(self) -> None:
        raw = "".join(self._parts)
        self._parts = []
        lines = []
        for line in raw.split(_BREAK):
            cells = [" ".join(cell.split()) for cell in line.split(_CELL)]
            line = " | ".join(cell for cell in cells if cell)
            if line.strip(" -"):
                lines.append(line)
        text = "\n".join(lines).strip()
        if text:
            self.blocks.append((self._kind, text))
        self._kind = "block"
