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
    """Word trigrams of the ticket's earlier messages, to recognise their lines when quoted."""

    def __init__(self, bodies: Sequence[str]) -> None:
        self.trigrams: set[tuple[str, str, str]] = set()
        self.words: set[str] = set()
        for body in bodies:
            words = _words(body)
            self.words.update(words)
            self.trigrams.update(zip(words, words[1:], words[2:], strict=False))

    def repeats(self, line: str) -> bool | None:
        """True if the line repeats earlier text, False if not, None if too short to say."""
        words = _words(line.lstrip("> \t" + QUOTED))
        if len(words) < 3:
            return None if words and all(w in self.words for w in words) else False
        grams = list(zip(words, words[1:], words[2:], strict=False))
        return sum(g in self.trigrams for g in grams) >= 0.8 * len(grams)


def strip_history(
    lines: list[str], patterns: EmailPatterns, earlier: EarlierText | None = None
) -> list[str]:
    """The lines that are not quoted history, in order."""
    lines = _split_glued_attributions(lines, patterns)
    n = len(lines)
    quoted = [_quoted(line) for line in lines]
    if earlier is not None:
        _mark_repeats(lines, quoted, earlier)
    spans = _attribution_spans(lines, quoted, patterns)
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
        end = spans.get(i) or _separator_end(lines, i, patterns) or _header_end(lines, i, patterns)
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
                or patterns.attribution_free.fullmatch(rest)
            ):
                out.extend([line[: m.start()], rest])
                continue
        out.append(line)
    return out


def _mark_repeats(lines: list[str], quoted: list[bool], earlier: EarlierText) -> None:
    verdicts = [earlier.repeats(line) if line.strip() else None for line in lines]
    for i, v in enumerate(verdicts):
        if v:
            quoted[i] = True
    # Short lines ("Hi Anna,", "Thanks") count when the lines around them repeat too.
    for i, v in enumerate(verdicts):
        if v is None and lines[i].strip():
            before = next((verdicts[j] for j in range(i - 1, -1, -1) if lines[j].strip()), None)
            after = next((verdicts[j] for j in range(i + 1, len(lines)) if lines[j].strip()), None)
            if before and after:
                quoted[i] = True


def _attribution_spans(
    lines: list[str], quoted: list[bool], patterns: EmailPatterns
) -> dict[int, int]:
    """{first line: line after} of each attribution, wrapped ones joined."""
    spans: dict[int, int] = {}
    for j, raw in enumerate(lines):
        line = raw.strip()
        if not line or quoted[j] or len(line) > _MAX_ATTRIBUTION:
            continue
        window: list[str] = []
        start = None
        for w in range(1, _MAX_WINDOW + 1):
            k = j - w + 1
            if k < 0 or quoted[k] or not lines[k].strip():
                break
            window.insert(0, lines[k].strip())
            text = " ".join(window)
            if len(text) > _MAX_ATTRIBUTION or not _DATE_OR_ADDRESS.search(text):
                continue
            if patterns.attribution_anchored.fullmatch(text):
                start = j - w + 1  # its first word starts it: no line above belongs to it
                break
            if patterns.attribution_free.fullmatch(text):
                start = j - w + 1
                # A free pattern matches any prefix: take the line above only if it looks
                # like the wrapped start of the header (a date or address, not a sentence).
                above = lines[start - 1].strip() if start > 0 else ""
                if (
                    above
                    and not quoted[start - 1]
                    and _DATE_OR_ADDRESS.search(above)
                    and not _SENTENCE_END.search(above)
                    and len(above) + len(text) < _MAX_ATTRIBUTION
                ):
                    start -= 1
                break
        if start is not None and start not in spans:
            # an earlier-starting attribution ending here replaces shorter ones inside it
            for k in range(start + 1, j + 1):
                spans.pop(k, None)
            spans[start] = j + 1
    return spans


def _separator_end(lines: list[str], i: int, patterns: EmailPatterns) -> int | None:
    line = " ".join(lines[i].split())
    return i + 1 if patterns.separator.fullmatch(line) else None


def _header_end(lines: list[str], i: int, patterns: EmailPatterns) -> int | None:
    """End of an Outlook-style header block starting at line i, if one does."""
    first = patterns.header.fullmatch(" ".join(lines[i].split()))
    if first is None:
        return None
    fields = {patterns.header_field[" ".join(first["label"].split()).casefold()]}
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
