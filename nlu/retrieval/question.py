"""What of a customer's message is searched for: the message as the classifier cleans it
(quoted history and signatures gone, :func:`nlu.cleaning.clean`), without the greeting
line it opens with ("Good afternoon,", "Hi Anna,") and the short lines it closes with
("Thanks", "Lukas"): words that name no article but count against every one of them
(a name is a word no article knows)."""

from __future__ import annotations

import re

from nlu.cleaning import clean

__all__ = ["question_text"]

_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|hiya|dear|greetings|good\s+(?:morning|afternoon|evening|day))\b"
    r"[^?\n]{0,40}$",
    re.IGNORECASE,
)
_CLOSING_WORDS = 3  # a last line this short, with no question and no number, closes


def question_text(text: str, channel: str = "chat") -> str:
    """The part of ``text`` to search the articles with (see the module)."""
    lines = [line for line in clean(text, channel).splitlines() if line.strip()]
    if len(lines) > 1 and _GREETING.match(lines[0]):
        lines = lines[1:]
    while len(lines) > 1 and _closing(lines[-1]):
        lines = lines[:-1]
    return "\n".join(lines)


def _closing(line: str) -> bool:
    words = line.split()
    return len(words) <= _CLOSING_WORDS and "?" not in line and not any(c.isdigit() for c in line)
