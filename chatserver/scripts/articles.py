"""Answers from the shop's help center, and "Did that help?".

The service looks the article up before the step (``chatserver.helpcenter``: only for a
message the classifier escalates or gives to a general-information intent, and only
when :func:`nlu.retrieval.route.route` says the article wins) and hands it in on
``UserMessage.article``; here it is only worded. In a chat the answer is the article's
title, the passage that answers and the link, then "Did that help?" with Yes / No; by
email, one paragraph and the link (no question: the customer's next email says it).

Yes closes politely; No says sorry and offers a person (the ``human_agent`` button, the
usual hand-off) or another try in other words. Anything else the customer writes
instead is a new message: the question lapses. What happened is tagged for the service
(:data:`SHOWN`, :data:`HELPED`, :data:`NOT_HELPED`), which logs the article with the
prediction and counts the answer on the dashboard.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from chatserver.dialogue.actions import Action, Tag
from chatserver.dialogue.events import UserMessage
from chatserver.dialogue.state import DialogueState
from chatserver.scripts.common import HUMAN, YES_NO, Out, finish, say

if TYPE_CHECKING:
    from nlu.retrieval.answers import ArticleAnswer

__all__ = ["ARTICLE", "HELPED", "NOT_HELPED", "SHOWN", "answer", "on_message", "paragraph"]

ARTICLE = "article"  # DialogueState.intent after an article answer, until the next message
SHOWN, HELPED, NOT_HELPED = "article_answer", "article_helped", "article_not_helped"
_FEEDBACK = "confirm"  # the yes/no slot (chatserver.dialogue.slots) holds the answer
# What a message may be besides the Yes / No itself and still be one ("yes thanks!").
_SOCIAL = frozenset({"affirm", "deny", "thanks", "goodbye", "greeting"})
_TAG_SAFE = re.compile(r"[^a-z0-9_-]+")


def on_message(
    state: DialogueState, msg: UserMessage, answered: bool
) -> tuple[DialogueState, list[Action] | None]:
    """The engine's hook, after slot filling and "never mind": the Yes / No to the last
    article answer, or an article answer to this message; else (state, None) and the
    scripts go on, with a pending "Did that help?" dropped.

    While another script waits for an answer, only a message the classifier reads as a
    new request (not escalated) gets an article: what it escalates there is more likely
    the answer in words the slots do not know ("the stoneware mug"), for the script."""
    if state.intent == ARTICLE:
        helped = state.slots.confirmed
        if state.awaiting == _FEEDBACK and answered and helped is not None and _only_yes_no(msg):
            return _feedback(state, helped)
        state, _ = finish(state)  # the customer moved on: the question lapses
    if msg.article is not None and not (state.awaiting and (answered or msg.escalate)):
        return answer(state, msg.article, msg.channel)
    return state, None


def answer(state: DialogueState, article: ArticleAnswer, channel: str) -> Out:
    """Reply with the article: its passage and link, then (chat) "Did that help?"."""
    state = state.noting(f'answered from the help-center article "{article.title}"')
    context = {
        "title": article.title,
        "url": article.url,
        "heading": article.heading if article.heading != article.title else "",
        "passage": article.passage,
        "paragraph": paragraph(article.passage),
    }
    tags = Tag((SHOWN, "article_" + _TAG_SAFE.sub("_", str(article.article_id).lower())))
    state, actions = finish(state, say("articles/answer", **context), tags)
    if channel == "email":
        return replace(state, intent=ARTICLE), actions
    asked = replace(state, intent=ARTICLE, awaiting=_FEEDBACK)
    # A person is a choice too: the article may answer another question than theirs.
    return asked, [*actions, say("articles/did_it_help", *YES_NO, HUMAN)]


def paragraph(passage: str) -> str:
    """A passage as one paragraph for an email: lines as sentences, list items joined
    ("Options: - A - B" -> "Options: A; B.")."""
    parts: list[str] = []
    items: list[str] = []

    def close_list() -> None:
        if items:
            parts.append("; ".join(items) + ".")
            items.clear()

    for line in (line.strip() for line in passage.splitlines()):
        if not line:
            continue
        if line.startswith("- "):
            items.append(line[2:].strip().rstrip(".;"))
            continue
        close_list()
        parts.append(line if line[-1] in ".!?:" else line + ".")
    close_list()
    return " ".join(parts)


def _only_yes_no(msg: UserMessage) -> bool:
    """A Yes / No, not a new request that starts with one ("no, where is #1001?")."""
    if msg.article is not None:
        return False
    return msg.escalate or msg.intent is None or msg.intent in _SOCIAL


def _feedback(state: DialogueState, helped: bool) -> Out:
    if helped:
        state = state.noting("the article helped")
        return finish(state, say("articles/helped"), Tag((HELPED,)))
    state = state.noting("the article did not help")
    return finish(state, say("articles/not_helped", HUMAN), Tag((NOT_HELPED,)))
