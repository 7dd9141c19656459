"""Small talk and hand-offs: greeting, thanks, goodbye, human_agent, complaint, and the
fallback for low confidence or anything out of scope."""

from __future__ import annotations

from chatserver.dialogue.actions import Button
from chatserver.dialogue.state import DialogueState
from chatserver.policy import Policy
from chatserver.scripts.common import Out, escalate, finish, say

__all__ = ["ask_topic", "complaint", "fallback", "goodbye", "greeting", "human_agent", "thanks"]

_TOPICS = (
    Button("/track_order", label="track"),
    Button("/return_item", label="return"),
    Button("/human_agent", label="human"),
)


def greeting(state: DialogueState, policy: Policy) -> Out:
    return finish(state, say("basics/greeting", *_TOPICS))


def ask_topic(state: DialogueState, policy: Policy) -> Out:
    """Details came first ("1001 maria@example.com"): keep them and ask what it is about."""
    return finish(state, say("basics/ask_topic", *_TOPICS))


def thanks(state: DialogueState, policy: Policy) -> Out:
    return finish(state, say("basics/thanks"))


def goodbye(state: DialogueState, policy: Policy) -> Out:
    return finish(state, say("basics/goodbye"))


def human_agent(state: DialogueState, policy: Policy) -> Out:
    return escalate(state, policy, "customer_asked")


def complaint(state: DialogueState, policy: Policy) -> Out:
    return escalate(state, policy, "complaint", template="basics/complaint")


def fallback(state: DialogueState, policy: Policy) -> Out:
    """Unsure what the customer wants: a person reads it, with the bot's best guesses."""
    guesses = state.intents[-1:] if state.intents else ()
    reason = "low_confidence" if guesses and guesses[0][0] != "out_of_scope" else "out_of_scope"
    return escalate(state, policy, reason, template="basics/fallback")
