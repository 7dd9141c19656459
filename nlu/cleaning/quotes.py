"""Find the quoted history in an e-mail's lines and keep everything else.

Three kinds of evidence, strongest first:

1. lines quoted by the mail client: ``>`` prefixes, or quote markup in HTML (see
   :mod:`nlu.cleaning.html`); they are dropped wherever they are, so a reply written below
   or between quoted blocks (bottom-posting, inline answers) is kept;
2. when the ticket's earlier messages are known, lines that repeat them (word trigrams),
   which recognises unmarked quotes exactly whatever the client and language;
3. splitters from the pattern table: an attribution ("On … wrote:"), a separator
   ("-----Original Message-----") or a header block ("From:/Sent:/To:/Subject:"). A
   splitter followed by quoted lines is dropped with them and reading goes on after them;
   a splitter followed by unmarked text starts the history, which runs to the end.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from itertools import pairwise

from nlu.cleaning.html import CUT, QUOTED
from nlu.cleaning.patterns import EmailPatterns

__all__ = ["EarlierText", "strip_history"]

_MAX_ATTRIBUTION = 400  # characters of a (joined) attribution line
_MAX_WINDOW = 3  # lines a wrapped attribution may span
_HEADER_SPAN = 8  # lines a header block may span
_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]|[^\W_]+")
_DATE_OR_ADDRESS = re.compile(r"[\d@]")
_SENTENCE_END = re.compile(r"[.!?;。！？]\s*$")
_DASHES = re.compile(r"[-–]{2,}")


def _quoted(line: str) -> bool:
    s = line.lstrip()
    return s.startswith((">", QUOTED))


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


class EarlierText:
    """Words of the ticket's earlier messages, to recognise their lines when quoted."""

    def __init__(self, bodies: Sequence[str]) -> None:
        self.trigrams: set[tuple[str, ...]] = set()
        self.bigrams: set[tuple[str, ...]] = set()
        self.words: set[str] = set()
        for body in bodies:
            words = _words(body)
            self.words.update(words)
            self.bigrams.update(pairwise(words))
            self.trigrams.update(zip(words, words[1:], words[2:], strict=False))

    def repeats(self, line: str) -> bool | None:
        """True if the line repeats earlier text, False if not, None if too short to say
        (one or two words that do occur earlier, such as a greeting or a sign-off)."""
        words = _words(line.lstrip("> \t" + QUOTED))
        if len(words) >= 3:
            grams = list(zip(words, words[1:], words[2:], strict=False))
            return sum(g in self.trigrams for g in grams) >= 0.8 * len(grams)
        if len(words) == 2:
            return None if tuple(words) in self.bigrams else False
        return None if words and words[0] in self.words else False


def strip_history(
    lines: list[str], patterns: EmailPatterns, earlier: EarlierText | None = None
) -> list[str]:
    """The lines that are not quoted history, in order."""
    lines = _split_glued_attributions(lines, patterns)
    n = len(lines)
    quoted = [_quoted(line) for line in lines]
    _mark_broken_quote_lines(lines, quoted)
    if earlier is not None:
        _mark_repeats(lines, quoted, earlier)
    starts: dict[int, int | None] = {}  # attribution start of each line, computed on demand
    keep: list[str] = []
    i = 0
    while i < n:
        line = lines[i].strip()
        if CUT in line:
            break
        if quoted[i] or not line:
            if not quoted[i]:
                keep.append("")
            i += 1
            continue
        end = (
            _attribution_end(lines, quoted, patterns, i, starts)
            or _separator_end(lines, i, patterns)
            or _header_end(lines, i, patterns)
        )
        if end is None:
            keep.append(lines[i])
            i += 1
            continue
        nxt = end
        while nxt < n and not lines[nxt].strip():
            nxt += 1
        if nxt < n and quoted[nxt]:
            i = end  # drop the splitter; the quoted block after it goes line by line
            continue
        break  # unmarked history from here to the end
    return keep


def _split_glued_attributions(lines: list[str], patterns: EmailPatterns) -> list[str]:
    """'reply text--- On … wrote:' → two lines (Yahoo glues them)."""
    out = []
    for line in lines:
        m = _DASHES.search(line)
        if m and m.start() > 0 and len(line) <= _MAX_ATTRIBUTION:
            rest = line[m.start() :].strip()
            if _DATE_OR_ADDRESS.search(rest) and (
                patterns.attribution_anchored.fullmatch(rest)
                or (rest.endswith(":") and patterns.attribution_colon.fullmatch(rest))
                or patterns.attribution_free.fullmatch(rest)
            ):
                out.extend([line[: m.start()], rest])
                continue
        out.append(line)
    return out


def _mark_broken_quote_lines(lines: list[str], quoted: list[bool]) -> None:
    """A quoted link wrapped by the client ('(http://…) >') between quoted lines is quoted."""
    for i, raw in enumerate(lines):
        line = raw.strip()
        if quoted[i] or not line.endswith(">") or not line.startswith(("(", "<", "http")):
            continue
        before = next((quoted[j] for j in range(i - 1, -1, -1) if lines[j].strip()), False)
        after = next((quoted[j] for j in range(i + 1, len(lines)) if lines[j].strip()), False)
        if before and after:
            quoted[i] = True


def _mark_repeats(lines: list[str], quoted: list[bool], earlier: EarlierText) -> None:
    verdicts = [earlier.repeats(line) if line.strip() else False for line in lines]
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for i in filled:
        if verdicts[i]:
            quoted[i] = True
    # A short line ("Hi Anna,", "Best, Shop") at the edge of a repeated block belongs to it;
    # a single word only when the block goes on on both sides.
    for n, i in enumerate(filled):
        if verdicts[i] is None:
            before = n > 0 and bool(verdicts[filled[n - 1]])
            after = n + 1 < len(filled) and bool(verdicts[filled[n + 1]])
            two_words = len(_words(lines[i])) == 2
            if (before and after) or (two_words and (before or after)):
                quoted[i] = True
    # The attribution or header block right above a repeated block, in whatever language:
    # short lines with a date or an address, up to a few.
    for n, i in enumerate(filled):
        if not quoted[i] or (n > 0 and quoted[filled[n - 1]]):
            continue  # not the first line of a quoted run
        run = filled[n : n + 4]
        if not any(verdicts[k] for k in run if quoted[k]):
            continue
        for m in range(n - 1, max(-1, n - 6), -1):
            line = lines[filled[m]].strip()
            if quoted[filled[m]] or len(line) > 200 or not _DATE_OR_ADDRESS.search(line):
                break
            if ":" not in line and "@" not in line:
                break
            quoted[filled[m]] = True


def _attribution_end(
    lines: list[str],
    quoted: list[bool],
    patterns: EmailPatterns,
    i: int,
    starts: dict[int, int | None],
) -> int | None:
    """End (exclusive) of an attribution starting at line i, wrapped ones joined."""
    for j in range(i, min(len(lines), i + _MAX_WINDOW)):
        if quoted[j] or not lines[j].strip():
            return None
        if j not in starts:
            starts[j] = _attribution_start(lines, quoted, patterns, j)
        if starts[j] == i:
            return j + 1
    return None


def _attribution_start(
    lines: list[str], quoted: list[bool], patterns: EmailPatterns, j: int
) -> int | None:
    """First line of an attribution that ends at line j, if one does."""
    window: list[str] = []
    for w in range(1, _MAX_WINDOW + 1):
        k = j - w + 1
        if k < 0 or quoted[k] or not lines[k].strip():
            return None
        window.insert(0, lines[k].strip())
        text = " ".join(window)
        if len(text) > _MAX_ATTRIBUTION:
            return None
        if not (_DATE_OR_ADDRESS.search(text) or text.startswith("--")):
            continue  # "---- Name wrote ----" is the one form without a date or address
        if patterns.attribution_anchored.fullmatch(text):
            return k  # its first word starts it: no line above belongs to it
        if (
            text.endswith(":") and patterns.attribution_colon.fullmatch(text)
        ) or patterns.attribution_free.fullmatch(text):
            # A free pattern matches any prefix: take the line above only if it looks
            # like the wrapped start of the header (a date or address, not a sentence).
            above = lines[k - 1].strip() if k > 0 else ""
            if (
                above
                and not quoted[k - 1]
                and _DATE_OR_ADDRESS.search(above)
                and not _SENTENCE_END.search(above)
                and len(above) + len(text) < _MAX_ATTRIBUTION
            ):
                return k - 1
            return k
    return None


def _separator_end(lines: list[str], i: int, patterns: EmailPatterns) -> int | None:
    line = " ".join(lines[i].split())
    return i + 1 if patterns.separator.fullmatch(line) else None


def _header_end(lines: list[str], i: int, patterns: EmailPatterns) -> int | None:
    """End of an Outlook-style header block starting at line i, if one does."""
    first = patterns.header.fullmatch(" ".join(lines[i].split()))
    if first is None:
        return None
    fields = {patterns.header_field[" ".join(first["label"].split()).casefold()]}
    # Outlook on the web and some HTML put several fields on one line.
    fields.update(
        patterns.header_field[" ".join(m["label"].split()).casefold()]
        for m in patterns.header_inline.finditer(first["value"][:300])
    )
    end, gap = i + 1, 0
    for k in range(i + 1, min(len(lines), i + _HEADER_SPAN)):
        text = " ".join(lines[k].split())
        if not text:
            if len(fields) >= 2:
                break
            gap += 1
            if gap > 1:
                break
            continue
        m = patterns.header.fullmatch(text)
        if m is None:
            gap += 1  # a wrapped value, or a label's value on the next line
            if gap > 1:
                break
            continue
        gap = 0
        fields.add(patterns.header_field[" ".join(m["label"].split()).casefold()])
        end = k + 1
    return end if len(fields) >= 2 else None
