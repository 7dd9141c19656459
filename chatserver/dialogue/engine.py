"""``step(state, event, policy) -> (state, actions)``: the whole conversation logic, pure.

A customer message first fills the slots the bot is waiting for; a message that clearly
changes the subject (a new confident intent) starts that intent's script; "never mind"
gets out of the current one. Answers from the runner are absorbed into ``state.facts``
and the active script runs again, until it emits only replies and hand-offs. A failed
outside call becomes an honest holding answer and a hand-off, never an exception. Where a
chat hand-off goes (a person, a ticket, the customer's address first) is decided here
too, in ``chatserver.dialogue.handoff``.
"""

from __future__ import annotations

from dataclasses import replace

from chatserver.dialogue import handoff
from chatserver.dialogue.actions import Action, Effect, Reply
from chatserver.dialogue.events import (
    ActionFailed,
    AgentsAvailable,
    Event,
    OrderCancelled,
    OrderFound,
    OrdersFound,
    ProofRefused,
    ReturnRequested,
    SubscriptionCancelled,
    SubscriptionsFound,
    TicketOpened,
    Tracked,
    UserMessage,
)
from chatserver.dialogue.slots import details_only, fill_slots, is_exit, topic_of
from chatserver.dialogue.state import DialogueState, Facts
from chatserver.policy import Policy
from chatserver.scripts import FALLBACK, SCRIPTS, articles
from chatserver.scripts.basics import ask_topic
from chatserver.scripts.common import escalate, finish

__all__ = ["CONTROL_INTENTS", "MAX_REPROMPTS", "step"]

CONTROL_INTENTS = frozenset({"affirm", "deny", "choose"})  # quick-reply payloads only
PATIENT_INTENTS = frozenset({"greeting", "thanks"})  # do not abandon a question for these
MAX_REPROMPTS = 2
# What an idle "never mind" / "nothing" is often taken for; anything else is a request.
_IDLE = frozenset({"complaint", "goodbye", "thanks", "greeting", "fallback"})

Out = tuple[DialogueState, list[Action]]


def step(state: DialogueState, event: Event, policy: Policy) -> Out:
    """Advance one session by one event."""
    match event:
        case AgentsAvailable():
            return handoff.route(state, event, policy)
        case TicketOpened():
            return handoff.opened(state, event, policy)
        case ActionFailed(action=action) if action in handoff.EFFECTS:
            return handoff.failed(state, event, policy)
    state, actions = _step(state, event, policy)
    return handoff.handing_over(state, actions)


def _step(state: DialogueState, event: Event, policy: Policy) -> Out:
    if isinstance(event, UserMessage):
        return _on_message(state, event, policy)
    if isinstance(event, ActionFailed):
        return _on_failure(state, event, policy)
    state = _absorb(state, event)
    script = SCRIPTS.get(state.intent or "")
    return script(state, policy) if script else (state, [])


def _absorb(state: DialogueState, event: Event) -> DialogueState:
    match event:
        case OrderFound(order=order, email=email, proof=proof):
            state = state.with_facts(order=order, order_looked_up=True)
            if order is not None and email:
                # The order matched this email and this number: both are proven now.
                state = state.with_slots(
                    verified_email=email,
                    verified_order=order.name,
                    order_number=order.name,
                    proof="order" if proof else state.slots.proof,
                )
            return state
        case ProofRefused(retry_after=retry_after):
            return state.with_facts(proof_refused=True, retry_after=retry_after)
        case OrdersFound(orders=orders):
            state = state.with_facts(orders=orders)
            newest = sorted(orders, key=lambda o: o.processed_at, reverse=True)
            # One order, or an email (answered from the latest order, no questions): take it.
            if newest and (len(newest) == 1 or state.facts.channel == "email"):
                state = state.with_facts(order=newest[0]).with_slots(verified_order=newest[0].name)
            return state
        case Tracked(trackings=trackings):
            return state.with_facts(trackings=trackings)
        case OrderCancelled():
            return state.with_facts(cancelled=True)
        case ReturnRequested(request=request):
            return state.with_facts(return_request=request)
        case SubscriptionsFound(subscriptions=subscriptions):
            return state.with_facts(subscriptions=subscriptions)
        case SubscriptionCancelled(subscription=subscription):
            return state.with_facts(subscription_cancelled=subscription)
    return state


def _identity(state: DialogueState, msg: UserMessage) -> DialogueState:
    """What this message proves: a verified identity counts while it is presented.

    Access a signed identity (or a requester) gave ends when the next message does not
    carry that identity any more (expired, another customer's, or none): the host page
    vouches for every message, not once for the session. Access proven with an order
    (email and number) stays for the session.
    """
    slots = state.slots
    if msg.identity_email and msg.identity_email != slots.verified_email:
        return state.with_slots(
            verified_email=msg.identity_email, verified_order=None, proof="identity"
        )
    if slots.verified_email and slots.proof != "order" and msg.identity_email is None:
        return state.without_proof()
    return state


def _on_failure(state: DialogueState, event: ActionFailed, policy: Policy) -> Out:
    state = state.noting(f"{event.action} failed")
    note = f"{event.action} failed: {event.reason}"
    return escalate(state, policy, "integration_failure", template="common/holding", note=note)


def _on_message(state: DialogueState, msg: UserMessage, policy: Policy) -> Out:
    facts = Facts(
        now=msg.now, channel=msg.channel, text=msg.text, known_email=msg.known_email,
        read=bool(msg.ranking), ranking=msg.ranking,
    )  # fmt: skip
    state = replace(state, facts=facts)
    taken = handoff.take_address(state, msg)  # the address a waiting ticket asked for
    if taken is not None:
        return taken
    if msg.intent and msg.intent not in CONTROL_INTENTS:
        state = replace(state, intents=(*state.intents, (msg.intent, msg.confidence))[-10:])
    state = _identity(state, msg)
    before = state.slots
    state, answered = fill_slots(state, msg)

    if state.intent and (is_exit(msg.text) or (msg.intent == "deny" and not answered)):
        state, _ = finish(state)
        return state, [Reply("common/never_mind")]
    if not state.intent and is_exit(msg.text) and msg.intent not in SCRIPTS.keys() - _IDLE:
        return state, [Reply("common/nothing_else")]  # "oh never mind" after an answer
    if state.awaiting and answered and state.intent in SCRIPTS:
        return SCRIPTS[state.intent](replace(state, reprompts=0), policy)
    waited = handoff.waiting(state, msg, policy) if not state.awaiting else None
    if waited is not None:  # "is anyone there?" while a person is on the way
        return waited
    # Help-center answers (and their "Did that help?"), before new scripts and the fallback.
    state, from_article = articles.on_message(state, msg, answered)
    if from_article is not None:
        return state, from_article

    new = msg.intent if msg.intent in SCRIPTS and not msg.escalate else None
    if new and not (state.awaiting and (new == state.intent or new in PATIENT_INTENTS)):
        fresh = replace(state, intent=new, awaiting=None, reprompts=0)
        fresh = fresh.with_slots(
            item=None, confirmed=None, topic=topic_of(msg.text), new_address=None
        )
        return SCRIPTS[new](fresh, policy)
    if state.awaiting:
        if state.reprompts >= MAX_REPROMPTS:
            return escalate(state, policy, "not_understood")
        asked = state.awaiting
        state, actions = SCRIPTS[state.intent or FALLBACK](state, policy)
        if state.awaiting != asked or any(isinstance(a, Effect) for a in actions):
            return state, actions  # the script understood it after all (an item's name…)
        return replace(state, reprompts=state.reprompts + 1), [Reply("common/reprompt"), *actions]
    if msg.intent in CONTROL_INTENTS:
        return state, [Reply("common/not_understood")]
    slots = state.slots
    gave = (slots.email, slots.order_number) != (before.email, before.order_number)
    if gave and details_only(msg.text):  # "1001 maria@example.com", the question comes next
        return ask_topic(state, policy)
    return SCRIPTS[FALLBACK](replace(state, intent=None), policy)
