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
2b. **A hand-off intent the classifier is not sure of** (:data:`HANDOFF_INTENTS`:
   ``payment_issue``, whose script only passes the message to a person) yields to a
   confident article when its probability is below :data:`SURE` (0.9). The classifier
   learnt ``payment_issue`` from payment *problems* ("my card was declined"), and also
   claims the shop's payment *questions* ("can I pay with PayPal?", 0.85), which the help
   center answers. It is sure of the problems: 161 of its 163 training examples are at
   0.9 or more, while 8 of the 10 tuning questions it gives ``payment_issue`` that an
   article answers are below 0.9. An article answer still offers a person when it does
   not help.
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
    "HANDOFF_INTENTS",
    "INFO_INTENTS",
    "ORDER_INTENTS",
    "SURE",
    "ArticleOffer",
    "ParseLike",
    "Route",
    "may_answer",
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
        "invoice",
    }
)
HANDOFF_INTENTS = frozenset({"payment_issue"})
SURE = 0.90  # a hand-off intent at this probability or more: the script (rule 2b)
CONVERSATION_INTENTS = frozenset({"greeting", "thanks", "goodbye", "human_agent", "complaint"})
INFO_INTENTS = frozenset({"shipping_info", "account_help"})
_UNREADABLE = frozenset({"empty", "unreadable", "unsupported_language"})


class ParseLike(Protocol):
    @property
    def intent(self) -> str | None: ...
    @property
    def confidence(self) -> float: ...
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


def may_answer(parse: ParseLike) -> bool:
    """Whether an article could answer this message at all (:func:`route` may say
    "article"): the classifier escalated it, for a reason other than an unreadable
    message, or gave it to a general-information intent. The server searches the
    articles only then: for a confident order or conversation intent, no search."""
    if parse.reason in _UNREADABLE:
        return False
    return bool(parse.escalate) or parse.intent in INFO_INTENTS or _unsure_handoff(parse)


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
        if _unsure_handoff(parse):
            if confident:
                return Route("article", f"{parse.intent} below {SURE}; confident article")
            return Route("intent", f"{parse.intent}; no confident article")
        kind = "conversation" if parse.intent in CONVERSATION_INTENTS else "order"
        return Route("intent", f"confident {kind} intent {parse.intent}")
    if confident:
        return Route("article", f"classifier escalated ({parse.reason}); confident article")
    return Route("intent", f"classifier escalated ({parse.reason}); no confident article")


def _unsure_handoff(parse: ParseLike) -> bool:
    return not parse.escalate and parse.intent in HANDOFF_INTENTS and parse.confidence < SURE
