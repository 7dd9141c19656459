"""The help-center answers the service asks, in a holder a refresh swaps.

``HelpCenter`` holds the current :class:`~nlu.retrieval.answers.HelpCenterAnswers` (or
none yet: before the first load, or with no source configured, nothing is answered from
articles). :mod:`chatserver.ops.helpcenter` builds a new one in the executor and swaps it
in whole, like the intent model's ``ModelHolder``, so a question never meets a half-built
index.

:func:`offered_article` is the edge the service calls before the dialogue step: only a
message that could go to an article (the classifier escalated it, or gave it to a
general-information intent) is looked up, and :func:`nlu.retrieval.route.route` decides;
the dialogue core receives the answer on the ``UserMessage`` event and stays pure.
:func:`article_outcome` reads what the turn did with it, for the prediction log.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import TYPE_CHECKING, Protocol

from chatserver.dialogue.state import DialogueState
from chatserver.scripts.articles import ARTICLE, HELPED, NOT_HELPED, SHOWN
from nlu.retrieval.route import ParseLike, may_answer, route

if TYPE_CHECKING:
    from nlu.retrieval.answers import ArticleAnswer

__all__ = ["Answerer", "HelpCenter", "article_outcome", "offered_article"]

log = logging.getLogger(__name__)


class Answerer(Protocol):
    """What the holder serves: ``nlu.retrieval.answers.HelpCenterAnswers`` or a stand-in."""

    def answer(self, text: str, channel: str = "chat") -> ArticleAnswer | None: ...

    def __len__(self) -> int: ...


class HelpCenter:
    """The serving help-center answers; ``swap`` replaces them for every later question."""

    def __init__(self, answers: Answerer | None = None) -> None:
        self._current = answers

    @property
    def current(self) -> Answerer | None:
        return self._current

    def __len__(self) -> int:
        """How many articles are served (0 before the first load)."""
        return len(self._current) if self._current is not None else 0

    def swap(self, answers: Answerer | None) -> Answerer | None:
        """Serve ``answers`` from now on (one assignment); returns what it replaces."""
        old, self._current = self._current, answers
        return old

    def answer(self, text: str, channel: str = "chat") -> ArticleAnswer | None:
        current = self._current
        return current.answer(text, channel) if current is not None else None


def offered_article(
    helpcenter: HelpCenter | None, text: str, channel: str, parse: ParseLike, *, classified: bool
) -> ArticleAnswer | None:
    """The article to answer ``text`` with, or None for the classifier's path.

    A button's payload (``classified`` false) is never looked up, nor a message the
    classifier gives confidently to an order or conversation intent (no search at all:
    an article could not win). A failing answerer is logged and answers nothing: the
    message then goes where it would have gone without articles.
    """
    if helpcenter is None or helpcenter.current is None or not classified:
        return None
    if not may_answer(parse):
        return None
    try:
        answer = helpcenter.answer(text, channel)
    except Exception:  # a bug in the answerer must not cost the customer their turn
        log.exception("help-center answer failed; the message takes the classifier's path")
        return None
    if answer is None or route(parse, answer).to != "article":
        return None
    return answer


def article_outcome(
    before: DialogueState, tags: Collection[str], *, escalated: bool
) -> tuple[bool, str | None]:
    """What a turn did with help-center articles: whether it answered from one (the
    article goes on this message's prediction), and what came of the session's previous
    article answer (``helped``, ``not_helped``, or ``handed_off`` when this turn, right
    after it, went to a person), for ``Storage.finish_turn``."""
    shown = SHOWN in tags
    if HELPED in tags:
        return shown, "helped"
    if NOT_HELPED in tags:
        return shown, "not_helped"
    if escalated and before.intent == ARTICLE:
        return shown, "handed_off"
    return shown, None
