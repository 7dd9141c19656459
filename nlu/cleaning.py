"""Turn a raw chat message or e-mail body into the text the customer actually wrote.

E-mail carries HTML, quoted history, signatures and legal footers that would
drown the intent; chat carries stray control and zero-width characters. Both
go through :func:`clean`, the channel saying which rules apply. The rules are
our own: the reply-parsing libraries on PyPI did worse on our fixtures (see
docs/nlu.md), and these rules are short enough to read.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

__all__ = ["MAX_CHARS", "MAX_RAW_CHARS", "clean", "html_to_text"]

MAX_CHARS = 20_000  # what the classifier sees at most, after cleaning
MAX_RAW_CHARS = 400_000  # what we read at most, so a megabyte of junk stays fast

_HTML_HINT = re.compile(r"<(?:html|body|div|p|br|span|table|blockquote|a)\b[^>]*>", re.IGNORECASE)
_INVISIBLE = {
    ord(c): None for c in "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad"
}
_CUT = "\ue000"  # private-use mark: "quoted history starts here", set by the HTML pass


def clean(text: str, channel: str = "chat") -> str:
    """Return the customer's own words from a chat message or e-mail body.

    HTML becomes text; for e-mail, quoted history, signatures and disclaimers
    are dropped. Unicode is NFKC-normalised, invisible and control characters
    removed, whitespace collapsed (paragraph breaks kept), and the result capped
    at :data:`MAX_CHARS`.

    Raises:
        TypeError: ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    text = text[:MAX_RAW_CHARS]
    is_email = channel == "email"
    if _HTML_HINT.search(text):
        text = html_to_text(text)
    text = _normalise_unicode(text)
    if is_email or _CUT in text:
        text = _strip_email(text)
    text = _normalise_whitespace(text)
    if len(text) > MAX_CHARS:
        cut = text.rfind(" ", MAX_CHARS - 200, MAX_CHARS)
        text = text[: cut if cut > 0 else MAX_CHARS].rstrip()
    return text


# ---------------------------------------------------------------- HTML


class _TextExtractor(HTMLParser):
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
    _SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})
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

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._stack: list[str] = []  # open elements, to know when a skipped one closes
        self._cut = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._cut:
            return
        attr = {k: (v or "") for k, v in attrs}
        classes = attr.get("class", "")
        ident = attr.get("id", "")
        if tag in self._BLOCK:
            self.parts.append("\n")
        if tag in self._VOID:
            return
        # Quoted history: Gmail, Apple Mail, Thunderbird, Outlook web/desktop.
        if (
            tag == "blockquote"
            or "gmail_quote" in classes
            or "moz-cite-prefix" in classes
            or ident in {"divRplyFwdMsg", "appendonsend", "mail-editor-reference-message-container"}
            or "OutlookMessageHeader" in classes
        ):
            self.parts.append(f"\n{_CUT}\n")
            self._cut = True
            return
        if (
            tag in self._SKIP
            or self._skip_depth
            or "gmail_signature" in classes
            or "moz-signature" in classes
            or ident == "Signature"
        ):
            self._skip_depth += 1
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._cut or tag not in self._stack:
            return
        while self._stack:
            open_tag = self._stack.pop()
            if self._skip_depth:
                self._skip_depth -= 1
            if open_tag == tag:
                break
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._cut and not self._skip_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML body; quoted history is replaced by a cut mark."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except AssertionError:  # html.parser on some malformed markup
        pass
    return "".join(parser.parts)


# ---------------------------------------------------------------- Unicode and whitespace


def _normalise_unicode(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE))
    return "".join(
        ch
        for ch in text
        if ch in "\n\t"
        or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
        or ch == _CUT
    )


_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def _normalise_whitespace(text: str) -> str:
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = _BLANK_LINES.sub("\n\n", text).strip()
    # Single line breaks inside a paragraph are wrapping, not structure.
    return "\n\n".join(p.replace("\n", " ") for p in text.split("\n\n"))


# ---------------------------------------------------------------- e-mail


_ATTRIBUTION = re.compile(
    r"""^(?:
        on\s.{1,250}\swrote:?                       # Gmail, Apple Mail, Thunderbird
      | le\s.{1,250}\sa\s+[ée]crit\s*:?             # French
      | am\s.{1,250}\sschrieb\s.{0,150}:?           # German
      | el\s.{1,250}\sescribi[óo]\s*:?              # Spanish
      | il\s.{1,250}\sha\s+scritto\s*:?             # Italian
      | op\s.{1,250}\sschreef\s.{0,150}:?           # Dutch
      | .{1,120}\s<[^>\s]+@[^>\s]+>\s+(?:wrote|a\s+[ée]crit|schrieb)\s*:?
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_SEPARATOR = re.compile(
    r"""^(?:
        -{2,}\s*(?:original\s+message|forwarded\s+message|message\s+d'origine|urspr[üu]ngliche\s+nachricht
                  |mensaje\s+original|weitergeleitete\s+nachricht)\s*-{2,}.*
      | begin\s+forwarded\s+message:?
      | \#\#-.{0,80}-\#\#                             # Zendesk "type your reply above this line"
      | _{8,}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_HEADER = re.compile(
    r"^\*?(?:from|de|von|van|da|sent|date|envoy[ée]|gesendet|datum|to|[àa]|an|subject|objet|betreff|cc)\s*:\*?\s",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\*?(?:from|de|von|van|da)\s*:\*?\s", re.IGNORECASE)
_SIGNATURE_MARK = re.compile(
    r"""^(?:
        --\s?|__+|—+
      | sent\s+from\s+my\s+.{1,40}
      | sent\s+from\s+(?:mail|outlook|yahoo\s+mail|gmail)\b.{0,40}
      | get\s+outlook\s+for\s+.{1,30}
      | sent\s+(?:with|via)\s+.{1,40}
      | envoy[ée]\s+de\s+mon\s+.{1,30}
      | von\s+meinem\s+.{1,30}\s+gesendet
      | enviado\s+desde\s+mi\s+.{1,30}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_VALEDICTION = re.compile(
    r"""^(?:
        (?:best|kind|warm|warmest|many|with\s+kind)?\s*regards | best(?:\s+wishes)? | cheers | sincerely
      | (?:yours\s+)?(?:truly|sincerely|faithfully) | thanks?(?:\s+(?:a\s+lot|again|in\s+advance))?
      | thank\s+you(?:\s+(?:so\s+much|again|in\s+advance))? | many\s+thanks | thx | ty | br | rgds
      | all\s+the\s+best | talk\s+soon | take\s+care
      | cordialement | bien\s+(?:[àa]\s+vous|cordialement) | merci(?:\s+d'avance)?
      | (?:mit\s+)?(?:freundlichen|besten|liebe|viele)\s+gr[üu](?:ß|ss)en? | lg | mfg | vg | gru(?:ß|ss)
      | saludos | un\s+saludo | saluti | cordiali\s+saluti | met\s+vriendelijke\s+groet(?:en)?
    )\s*[,.!]*(?:\s+[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,2})?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_DISCLAIMER = re.compile(
    r"""^(?:
        (?:confidentiality\s+notice|disclaimer|legal\s+notice|important\s+notice)\b
      | this\s+(?:e-?mail|message|communication)(?:\s+and\s+any\s+(?:files|attachments))?
        (?:\s*\([^)]*\))?\s+(?:is|are|may\s+contain|contains)\s+(?:confidential|privileged|intended)
      | the\s+information\s+(?:contained\s+)?in\s+this\s+(?:e-?mail|message|communication)
      | if\s+you\s+(?:are\s+not|have\s+received\s+this)\s+.{0,40}(?:intended\s+recipient|in\s+error)
      | please\s+consider\s+the\s+environment\s+before\s+printing
      | ce\s+(?:message|courriel)\s+(?:et\s+ses\s+pi[èe]ces\s+jointes\s+)?(?:est|sont)\s+confidentiel
      | diese\s+e-?mail\s+(?:enth[äa]lt|ist)\s+vertraulich
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_SHORT_LINE = 60  # a signature block is a few short lines


def _strip_email(text: str) -> str:
    lines = text.split("\n")
    lines = lines[: _history_start(lines)]
    lines = [line for line in lines if not line.lstrip().startswith(">")]
    lines = lines[: _footer_start(lines)]
    return "\n".join(lines)


def _history_start(lines: list[str]) -> int:
    """Index of the first line of quoted history (or len(lines))."""
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        if _CUT in line or _SEPARATOR.match(line):
            return i
        if _ATTRIBUTION.match(line):
            return i
        # Gmail wraps a long attribution over two or three lines.
        joined = line
        for extra in lines[i + 1 : i + 3]:
            joined = f"{joined} {extra.strip()}"
            if (
                len(joined) < 400
                and _ATTRIBUTION.match(joined)
                and line.lower()[:3] in _ATTR_STARTS
            ):
                return i
        # Outlook: "From: …" followed closely by "Sent:"/"Date:"/"To:" headers.
        if _HEADER_FROM.match(line):
            following = [f.strip() for f in lines[i + 1 : i + 5] if f.strip()]
            if any(_HEADER.match(f) for f in following[:3]):
                return i
    return len(lines)


_ATTR_STARTS = {"on ", "le ", "am ", "el ", "il ", "op "}


def _footer_start(lines: list[str]) -> int:
    """Index where the signature or legal footer starts (or len(lines)).

    A valediction ("Best regards,") counts only when a few short lines at most
    follow it and something was written above it: a bare "Thanks!" is the message.
    """
    n = len(lines)
    # Non-blank lines after each index, so the check below stays linear.
    after = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        after[i] = after[i + 1] + bool(lines[i].strip())
    has_body = False
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        if _DISCLAIMER.match(line) and has_body:
            return i
        if _SIGNATURE_MARK.match(line):
            return i
        if _VALEDICTION.match(line) and has_body and after[i + 1] <= 8:
            rest = [r.strip() for r in lines[i + 1 : i + 30] if r.strip()]
            if all(
                len(r) <= _SHORT_LINE or _DISCLAIMER.match(r) or _SIGNATURE_MARK.match(r)
                for r in rest[:6]
            ):
                return i
        has_body = True
    return n
