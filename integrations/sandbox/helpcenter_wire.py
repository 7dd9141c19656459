"""What the Guide sandbox (:mod:`integrations.sandbox.helpcenter`) writes besides the
records: its two kinds of pages (cursor: ``page[size]``/``page[after]`` with ``meta`` and
``links``; offset: ``page``/``per_page`` with ``next_page`` and ``count``), and the words
and snippets of its search."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from integrations.sandbox.zendesk_records import decode_cursor, encode_cursor

__all__ = ["paginate", "snippet", "text_of", "words"]

ARTICLES = "a"  # the cursor kind of a position in a list of articles


def paginate(params: Mapping[str, str], url: str, items: list[Any], *, cursor: bool = True,
             default_size: int = 30) -> tuple[dict[str, Any], list[Any]]:  # fmt: skip
    """The page ``params`` ask for, and the envelope around it (without the items).

    Raises:
        ValueError: a page size out of 1..100, a bad cursor or page number.
    """
    if cursor and "page[size]" in params:
        size = int(params["page[size]"])
        after = decode_cursor(params.get("page[after]"), ARTICLES)
        if not 1 <= size <= 100:
            raise ValueError(size)
        start = after + 1 if after is not None else 0
        page = items[start : start + size]
        has_more = start + size < len(items)
        last = encode_cursor(start + len(page) - 1, ARTICLES) if page else None
        first = encode_cursor(start, ARTICLES) if page else None
        rest = {k: v for k, v in params.items() if not k.startswith("page[")}
        query = f"&{urlencode(rest)}" if rest else ""
        return {
            "meta": {"has_more": has_more, "after_cursor": last, "before_cursor": first},
            "links": {
                "next": f"{url}?page[size]={size}&page[after]={last}{query}" if has_more else None,
                "prev": f"{url}?page[size]={size}&page[before]={first}{query}" if start else None,
            },
        }, page  # fmt: skip
    per_page = int(params.get("per_page", default_size))
    number = int(params.get("page", 1))
    if not 1 <= per_page <= 100 or number < 1:
        raise ValueError(per_page)
    count = len(items)
    pages = max(1, math.ceil(count / per_page))
    page = items[(number - 1) * per_page : number * per_page]
    rest = {k: v for k, v in params.items() if k not in ("page", "per_page")}
    query = f"&{urlencode(rest)}" if rest else ""
    link = f"{url}?per_page={per_page}{query}&page="
    return {
        "page": number, "per_page": per_page, "page_count": pages, "count": count,
        "next_page": f"{link}{number + 1}" if number < pages else None,
        "previous_page": f"{link}{number - 1}" if number > 1 else None,
        "sort_by": params.get("sort_by", "position"), "sort_order": params.get("sort_order", "asc"),
    }, page  # fmt: skip


def text_of(body_html: str) -> str:
    inline = re.sub(r"</?(?:strong|em|b|i|a|code|span)\b[^>]*>", "", body_html)
    return html.unescape(re.sub(r"<[^>]+>", " ", inline))


def words(text: str) -> list[str]:
    # Plurals match their singular ("cards" finds "card"): enough for a sandbox's search.
    return [
        w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"\w+", text.lower())
    ]


def snippet(body_html: str, terms: list[str]) -> str:
    """The first sentence holding a search term, escaped, the terms in ``<em>``."""
    text = " ".join(text_of(body_html).split())
    sentences = re.split(r"(?<=[.!?])\s+", text)
    best = next((s for s in sentences if any(w in s.lower() for w in terms)), sentences[0])
    escaped = html.escape(best[:200])
    for word in set(terms):
        escaped = re.sub(rf"\b({re.escape(word)})\b", r"<em>\1</em>", escaped, flags=re.I)
    return escaped
