"""HTML bodies to text, keeping what the quote markup says.

Mail clients mark quoted history in HTML better than in text: Gmail's ``gmail_quote``,
Apple Mail's and Thunderbird's ``<blockquote>``, Yahoo's ``yahoo_quoted``. Lines inside
those come out prefixed with :data:`QUOTED`, so the text pass drops them like ``>`` lines and
keeps what the customer wrote below or between them. Outlook's reply header containers
(``divRplyFwdMsg``, ``appendonsend``) and Zimbra's ``zwchr`` rule mean "everything after this
is history": they leave :data:`CUT`. Signature containers are dropped. Whitespace follows
HTML rules (source line breaks are spaces), so Outlook 2003's "From:" label and its value,
written on different source lines, end up on one line.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["CUT", "QUOTED", "html_to_text", "looks_like_html"]

CUT = "\ue000"  # private-use mark: "quoted history starts here and runs to the end"
QUOTED = "\ue001"  # private-use mark at the start of a line inside quote markup

# A tag name followed by attributes, "/" or ">": "<a-long.address@example.com>" is not HTML.
_HTML_HINT = re.compile(
    r"<(?:html|body|div|p|br|span|table|blockquote|a|font|b)(?:\s[^>]*)?/?>", re.IGNORECASE
)
_WS = re.compile(r"\s+")

_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
_SKIP = frozenset(["script", "style", "head", "title", "template", "noscript"])
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)
_QUOTE_CLASSES = frozenset(
    {"gmail_quote", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote", "zmail_extra"}
)
_CUT_IDS = frozenset({"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"})
_CUT_CLASSES = frozenset({"outlookmessageheader"})
_SIGNATURE_CLASSES = frozenset(
    {"gmail_signature", "moz-signature", "yahoo_signature", "ms-outlook-mobile-signature"}
)
_SIGNATURE_IDS = frozenset({"signature", "ms-outlook-mobile-signature", "applemailsignature"})


def looks_like_html(text: str) -> bool:
    return _HTML_HINT.search(text) is not None


def _names(value: str) -> set[str]:
    # Outlook on the web prefixes the ids and classes of a quoted message with "x_".
    return {n.removeprefix("x_").casefold() for n in value.split()}


class _TextExtractor(HTMLParser):
    def __init__(self, mark_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._mark = mark_quotes
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, skips, quotes)
        self._skip = 0
        self._quote = 0
        self._pre = 0
        self._cut = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._cut:
            return
        attr = {k: (v or "") for k, v in attrs}
        classes, ident = _names(attr.get("class", "")), _names(attr.get("id", ""))
        if tag in _BLOCK:
            self._newline()
        if self._mark and (ident & _CUT_IDS or classes & _CUT_CLASSES or "zwchr" in ident):
            self.parts.append(f"\n{CUT}\n")
            self._cut = True
            return
        if tag in _VOID:
            return
        skips = bool(
            tag in _SKIP
            or classes & _SIGNATURE_CLASSES
            or ident & _SIGNATURE_IDS
            or attr.get("data-smartmail") == "gmail_signature"
        )
        quotes = self._mark and (tag == "blockquote" or bool(classes & _QUOTE_CLASSES))
        self._skip += skips
        self._quote += quotes
        self._pre += tag == "pre"
        self._stack.append((tag, skips, quotes))

    def handle_endtag(self, tag: str) -> None:
        if self._cut or all(t != tag for t, _, _ in self._stack):
            return
        while self._stack:
            open_tag, skips, quotes = self._stack.pop()
            self._skip -= skips
            self._quote -= quotes
            self._pre -= open_tag == "pre"
            if open_tag == tag:
                break
        if tag in _BLOCK:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self._cut or self._skip:
            return
        if not self._pre:
            data = _WS.sub(" ", data)
            if not data.strip() and (not self.parts or self.parts[-1].endswith("\n")):
                return
        if self._quote:
            data = data.replace("\n", f"\n{QUOTED}")
            if not self.parts or self.parts[-1].endswith("\n"):
                data = QUOTED + data
        self.parts.append(data)

    def _newline(self) -> None:
        self.parts.append("\n")


def html_to_text(html: str, *, mark_quotes: bool = True) -> str:
    """Visible text of an HTML body.

    With ``mark_quotes`` (the default), lines inside quote markup start with
    :data:`QUOTED` and reply-header containers leave :data:`CUT`; without it the text is
    plain, as a library that does not read markup would see it.
    """
    parser = _TextExtractor(mark_quotes)
    try:
        parser.feed(html)
        parser.close()
    except AssertionError:  # html.parser on some malformed markup
        pass
    return "".join(parser.parts)
