"""Who answers a message: the intent's script, a help-center article, or a person.

One pure function, :func:`route`, over what the classifier said (a
:class:`~nlu.engine.Parse`, or anything with ``intent``, ``escalate`` and ``reason``)
and what the help center offers (an :class:`~nlu.retrieval.answers.ArticleAnswer` or
None). The rule, in order:

1. **Nothing readable** (classifier reason ``empty``, ``unreadable``,
   ``unsupported_language``): the classifier's path. An article cannot help either.
2. **A confident order or conversation intent wins.** When the classifier does not
   escalate and its intent acts on the customer's own order, account or conversation
   (:data:`ORDER_INTENTS`, :data:`CONVERSATION_INTENTS`), the script runs, whatever the
   articles say: "where is my order?" needs the order, not the shipping article, and
   "thanks" needs no article.
3. **A confident general-information intent** (:data:`INFO_INTENTS`: ``shipping_info``,
   ``account_help``) yields to a confident article: the script gives a fixed summary of
   the policy, while the article's passage answers the very question ("do you deliver to
   PO boxes?"), written by the same shop. Below the article threshold, the script.
4. **The classifier escalates** (out of scope, low confidence, ambiguous, no model): a
   confident article answers; otherwise the message goes to a person as before.

An article is confident when ``answer.confidence >= answer.threshold`` (calibrated for
≥ 90 % correct answers). An intent outside the three sets (a new one) counts as an
order intent: the safe side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "CONVERSATION_INTENTS",
    "INFO_INTENTS",
    "ORDER_INTENTS",
    "ArticleOffer",
    "ParseLike",
    "Route",
    "route",
]

ORDER_INTENTS = frozenset(
    {
        "track_order",
        "missing_item",
        "damaged_item",
        "return_item",
        "refund_status",
        "cancel_order",
        "cancel_subscription",
        "change_address",
        "payment_issue",
        "invoice",
    }
)
CONVERSATION_INTENTS = frozenset({"greeting", "thanks", "goodbye", "human_agent", "complaint"})
INFO_INTENTS = frozenset({"shipping_info", "account_help"})
_UNREADABLE = frozenset({"empty", "unreadable", "unsupported_language"})


class ParseLike(Protocol):
    @property
    def intent(self) -> str: ...
    @property
    def escalate(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...


class ArticleOffer(Protocol):
    @property
    def confidence(self) -> float: ...
    @property
    def threshold(self) -> float: ...


@dataclass(frozen=True)
class Route:
    """``to`` is ``"intent"`` (run the intent's script: it escalates itself when the
    parse says so), or ``"article"`` (reply with the article); ``why`` is for logs and
    the agents' console."""

    to: str
    why: str


def route(parse: ParseLike, answer: ArticleOffer | None) -> Route:
    """Decide between the classifier's path and the help-center article (see module)."""
    confident = answer is not None and answer.confidence >= answer.threshold
    if parse.reason in _UNREADABLE:
        return Route("intent", f"classifier: {parse.reason}")
    if not parse.escalate:
        if parse.intent in INFO_INTENTS:
            if confident:
                return Route("article", f"article more specific than {parse.intent}")
            return Route("intent", f"{parse.intent}; no confident article")
        kind = "conversation" if parse.intent in CONVERSATION_INTENTS else "order"
        return Route("intent", f"confident {kind} intent {parse.intent}")
    if confident:
        return Route("article", f"classifier escalated ({parse.reason}); confident article")
    return Route("intent", f"classifier escalated ({parse.reason}); no confident article")
