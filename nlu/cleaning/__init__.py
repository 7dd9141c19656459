"""Turn a raw chat message or e-mail body into the text the customer actually wrote.

E-mail carries HTML, quoted history, signatures and legal footers that would drown the
intent; chat carries stray control and zero-width characters. Both go through
:func:`clean`, the channel saying which rules apply. What quoted history and signatures
look like in each mail client and language is data (``patterns.yaml``), which a shop can
extend (:func:`load_patterns`); the rules that use it are in :mod:`.quotes` and
:mod:`.signatures`, the HTML side in :mod:`.html`. Measured on real reply e-mails in
docs/benchmarks.md ("E-mail cleaning").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from nlu.cleaning.html import CUT, QUOTED, html_to_text, looks_like_html
from nlu.cleaning.patterns import (
    EmailPatterns,
    PatternError,
    default_patterns,
    load_patterns,
)
from nlu.cleaning.quotes import EarlierText, strip_history
from nlu.cleaning.signatures import footer_start

__all__ = [
    "MAX_CHARS",
    "MAX_RAW_CHARS",
    "EmailPatterns",
    "PatternError",
    "clean",
    "default_patterns",
    "html_to_text",
    "load_patterns",
]

MAX_CHARS = 20_000  # what the classifier sees at most, after cleaning
MAX_RAW_CHARS = 400_000  # what we read at most, so a megabyte of junk stays fast

_INVISIBLE = {
    ord(c): None for c in "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad"
}
_MARKS = (CUT, QUOTED)


def clean(
    text: str,
    channel: str = "chat",
    *,
    earlier: Sequence[str] | None = None,
    patterns: EmailPatterns | None = None,
) -> str:
    """Return the customer's own words from a chat message or e-mail body.

    HTML becomes text; for e-mail, quoted history, signatures and disclaimers are dropped
    (replies written below or between quoted blocks are kept). Unicode is NFKC-normalised,
    invisible and control characters removed, whitespace collapsed (paragraph breaks kept),
    and the result capped at :data:`MAX_CHARS`.

    Args:
        text: the raw body (plain text or HTML).
        channel: ``"email"`` applies the e-mail rules; anything else is chat.
        earlier: bodies of the conversation's earlier messages (e.g. a ticket's previous
            comments), so their lines are recognised when quoted without markers.
        patterns: the e-mail pattern table; default the built-in one.

    Raises:
        TypeError: ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    text = text[:MAX_RAW_CHARS]
    is_email = channel == "email"
    if looks_like_html(text):
        text = html_to_text(text, mark_quotes=is_email)
    text = _normalise_unicode(text)
    if is_email:
        text = _strip_email(text, patterns or default_patterns(), earlier)
    elif CUT in text or QUOTED in text:  # only from HTML quote markup, for e-mail
        text = text.replace(CUT, "").replace(QUOTED, "")
    text = _normalise_whitespace(text)
    if len(text) > MAX_CHARS:
        cut = text.rfind(" ", MAX_CHARS - 200, MAX_CHARS)
        text = text[: cut if cut > 0 else MAX_CHARS].rstrip()
    return text


def _strip_email(text: str, patterns: EmailPatterns, earlier: Sequence[str] | None) -> str:
    known = EarlierText([_normalise_unicode(b) for b in earlier]) if earlier else None
    lines = strip_history(text.split("\n"), patterns, known)
    lines = lines[: footer_start(lines, patterns)]
    return "\n".join(lines).replace(QUOTED, "").replace(CUT, "")


# ---------------------------------------------------------------- Unicode and whitespace


def _normalise_unicode(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE))
    return _SUSPECT.sub(_drop_unprintable, text)


# Only characters outside printable ASCII need their category looked up.
_SUSPECT = re.compile(r"[^\x20-\x7e\n]")
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def _drop_unprintable(m: re.Match[str]) -> str:
    ch = m.group()
    if ch == "\t" or ch in _MARKS or unicodedata.category(ch) not in _UNPRINTABLE:
        return ch
    return ""


_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def _normalise_whitespace(text: str) -> str:
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = _BLANK_LINES.sub("\n\n", text).strip()
    # Single line breaks inside a paragraph are wrapping, not structure.
    return "\n\n".join(p.replace("\n", " ") for p in text.split("\n\n"))
