"""Small talk and hand-offs: greeting, thanks, goodbye, human_agent, complaint, and the
fallback for low confidence or anything out of scope.

A question the bot cannot answer in chat is not a hand-off by itself: the fallback says
what the bot can help with and offers a person as a choice (a button), unless the shop's
policy says such questions open a hand-off (``out_of_scope: {ticket: true}``). A person
the customer then asks for reads the question in the summary. By email it is handed over.
"""

from __future__ import annotations

from chatserver.dialogue.actions import Button
from chatserver.dialogue.state import DialogueState
from chatserver.policy import Policy
from chatserver.scripts.common import Out, escalate, finish, now_of, say

__all__ = ["ask_topic", "complaint", "fallback", "goodbye", "greeting", "human_agent", "thanks"]

_TOPICS = (
    Button("/track_order", label="track"),
    Button("/return_item", label="return"),
    Button("/human_agent", label="human"),
)
_COULD_NOT = "could not answer"
_OFFER = (Button("/human_agent", label="human"), *_TOPICS[:2])  # a person first: the choice
UNSURE_PERSON = 0.7  # below this, "a person?" is asked rather than assumed
SAYS_WHAT_WENT_WRONG = 6  # words: shorter complaints ("you're useless") are asked first


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
    """A person, at once when the ask is clear; a reading torn between a person and
    nothing the shop does ("what's your phone number?") is offered the choice instead."""
    ranking = state.facts.ranking
    unsure = len(ranking) > 1 and ranking[0] == ("human_agent", ranking[0][1])
    if unsure and ranking[0][1] < UNSURE_PERSON and ranking[1][0] == "out_of_scope":
        open_now = policy.is_open(now_of(state))
        return finish(state, say("basics/offer_person", *_OFFER, open_now=open_now))
    return escalate(state, policy, "customer_asked")


def complaint(state: DialogueState, policy: Policy) -> Out:
    """A complaint that says what went wrong (or about a known order, or by email) goes
    to a person; a bare "you're useless" in chat gets an apology, a question and a person
    as a choice."""
    slots = state.slots
    known = slots.verified_order or slots.order_number or state.facts.order is not None
    says = len(state.facts.text.split()) >= SAYS_WHAT_WENT_WRONG
    if known or says or state.facts.channel != "chat":  # by email a person reads it
        return escalate(state, policy, "complaint", template="basics/complaint")
    return finish(state, say("basics/sorry_what_happened", *_OFFER))


def fallback(state: DialogueState, policy: Policy) -> Out:
    """Unsure what the customer wants: what the bot can do, and a person as a choice."""
    guesses = state.intents[-1:] if state.intents else ()
    reason = "low_confidence" if guesses and guesses[0][0] != "out_of_scope" else "out_of_scope"
    # By email a person reads it (a round trip to offer one costs a day), and so they do
    # when no model read it; in chat the customer chooses, unless the shop wants a person
    # to read every such question.
    facts = state.facts
    if policy.out_of_scope_tickets or facts.channel != "chat" or not facts.read:
        return escalate(state, policy, reason, template="basics/fallback")
    # Twice in a row: shorter words, never the same paragraph again.
    again = bool(state.tried) and state.tried[-1].startswith(_COULD_NOT)
    question = " ".join(state.facts.text.split())[:120]
    state = state.noting(f'{_COULD_NOT} "{question}"' if question else _COULD_NOT)
    open_now = policy.is_open(now_of(state))
    return finish(state, say("basics/out_of_scope", *_OFFER, open_now=open_now, again=again))
