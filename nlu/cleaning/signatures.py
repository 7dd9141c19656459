"""Where the signature, mobile footer or legal footer of the new message starts.

A footer mark ("-- ", "Sent from my iPhone", "Gesendet von Outlook für Android", "-Name")
starts the signature when little follows it; a valediction ("Best regards,", "Mit
freundlichen Grüßen", "S pozdravem") when something was written above it and only a few
short lines follow. A valediction with nothing above it is kept: "Thanks!" is the message.
"""

from __future__ import annotations

import re

from nlu.cleaning.patterns import EmailPatterns

__all__ = ["footer_start"]

_SHORT_LINE = 60  # a signature block is a few short lines
_MAX_AFTER_MARK = 12  # non-blank lines a footer mark may have after it
_MAX_AFTER_VALEDICTION = 8
# After a valediction: nothing, a name of a few capitalised words, or symbols (emoji).
_NAME = re.compile(r"(?:[^\W\d_][\w.'’-]*\.?\s*){0,4}|[^\w\s]*")


def footer_start(lines: list[str], patterns: EmailPatterns) -> int:
    """Index of the first footer line (or ``len(lines)``)."""
    n = len(lines)
    after = [0] * (n + 1)  # non-blank lines after each index, so the scan stays linear
    for i in range(n - 1, -1, -1):
        after[i] = after[i + 1] + bool(lines[i].strip())
    has_body = False
    for i, raw in enumerate(lines):
        line = " ".join(raw.split())
        if not line:
            continue
        if has_body and patterns.disclaimer.match(line):
            return i
        if after[i + 1] <= _MAX_AFTER_MARK and (
            patterns.signature.fullmatch(line) or patterns.signature_cased.fullmatch(line)
        ):
            return i
        if has_body and after[i + 1] <= _MAX_AFTER_VALEDICTION and _is_valediction(line, patterns):
            rest = [" ".join(r.split()) for r in lines[i + 1 : i + 30] if r.strip()]
            if all(len(r) <= _SHORT_LINE or patterns.disclaimer.match(r) for r in rest):
                return i
        has_body = True
    return n


def _is_valediction(line: str, patterns: EmailPatterns) -> bool:
    m = patterns.valediction.match(line)
    if m is None:
        return False
    rest = line[m.end() :].strip()
    return not rest or (
        (rest[0].isupper() or not rest[0].isalnum()) and bool(_NAME.fullmatch(rest))
    )
