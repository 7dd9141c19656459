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
from chatserver.dialogue.actions import Action, Effect, HandOff, Reply
from chatserver.dialogue.acts import act_of, lacks_mailbox, lacks_number
from chatserver.dialogue.events import (
    ActionFailed,
    AgentsAvailable,
    Event,
    OrderCancelled,
    OrderFound,
    OrdersFound,
    ProofRefused,
    ReturnRequested,
    StatusEmailed,
    SubscriptionCancelled,
    SubscriptionsFound,
    TicketOpened,
    Tracked,
    UserMessage,
)
from chatserver.dialogue.slots import ASKS_ORDER, details_only, fill_slots, is_exit, topic_of
from chatserver.dialogue.state import BACK, IF, DialogueState, Facts, Slots
from chatserver.policy import Policy
from chatserver.scripts import FALLBACK, SCRIPTS, articles
from chatserver.scripts.basics import ask_topic
from chatserver.scripts.common import HUMAN, escalate, finish, say

__all__ = ["CONTROL_INTENTS", "MAX_REPROMPTS", "step"]

CONTROL_INTENTS = frozenset({"affirm", "deny", "choose"})  # quick-reply payloads only
PATIENT_INTENTS = frozenset({"greeting", "thanks"})  # do not abandon a question for these
MAX_REPROMPTS = 2
# What an idle "never mind" / "nothing" is often taken for; anything else is a request.
_IDLE = frozenset({"complaint", "goodbye", "thanks", "greeting", "fallback"})
_SOCIAL = frozenset({"greeting", "thanks", "goodbye", "fallback"})
# What customers tell as the story around a question ("paid, no confirmation: shipped?").
_BACKSTORY = frozenset({"payment_issue", "account_help", "refund_status"})
_TOLD = _BACKSTORY - {"account_help"}  # backstory when only told, beside a question
# Questions whose answer is one of a few options: a different request is not an answer.
_OPTIONS = frozenset({"confirm", "item", "order_choice"})
_CANCELS = frozenset({"cancel_order", "cancel_subscription"})
_MONEY = frozenset({"payment_issue", "refund_status"})
_ABOUT_AN_ORDER = frozenset(
    {"track_order", "missing_item", "damaged_item", "return_item", "refund_status",
     "cancel_order", "cancel_subscription", "change_address", "invoice"}
)  # fmt: skip

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
    state, actions = _next_ask(state, actions, policy)
    return handoff.handing_over(state, actions)


def _start(state: DialogueState, intent: str, policy: Policy) -> Out:
    """Start ``intent``'s script, keeping what is proven (and the order found)."""
    fresh = replace(state, intent=intent, awaiting=None, reprompts=0)
    topic = topic_of(state.facts.text)
    fresh = fresh.with_slots(item=None, confirmed=None, topic=topic, new_address=None)
    return SCRIPTS[intent](fresh.with_facts(started=(*state.facts.started, intent)), policy)


def _next_ask(state: DialogueState, actions: list[Action], policy: Policy) -> Out:
    """The message's next asks, in the same reply, once the one before is answered.

    When the one before stops at a question (a yes/no, which item) or with a hand-off,
    a next ask that needs nothing more (shipping costs, refund times) is answered beside
    it; one that needs the shop's data while the one before only waits for a yes goes
    first, and the question is asked again after it.
    """
    while state.pending and not any(isinstance(a, Effect) for a in actions):
        intent, rest = state.pending[0], state.pending[1:]
        handed = any(isinstance(a, HandOff) for a in actions)
        if intent.startswith(BACK):  # the question the customer interrupted, open again
            if handed or state.intent or state.awaiting:
                return replace(state, pending=() if handed else state.pending), actions
            back, asked = intent.removeprefix(BACK).split(" ", 1)
            state = replace(state, intent=back, awaiting=asked, pending=rest)
            return state, [*actions, say("common/back_to")]
        if intent.startswith(IF):  # waits for the ask before it; dropped if not taken up
            if state.intent or state.awaiting:
                break
            state = replace(state, pending=rest)
            continue
        if not handed and not state.intent and not state.awaiting:
            state, more = _start(replace(state, pending=rest, facts=_kept(state)), intent, policy)
            actions = [*actions, *more]
            continue
        side, more = _start(replace(state, pending=(), facts=_kept(state)), intent, policy)
        if not side.awaiting and not any(isinstance(a, Effect | HandOff) for a in more):
            facts = replace(state.facts, started=side.facts.started)
            state, actions = replace(state, pending=rest, facts=facts), [*actions, *more]
            continue
        if handed or state.awaiting in ASKS_ORDER or state.intent is None:
            return replace(state, pending=() if handed else state.pending), actions
        # The question waits: this ask goes first, then the script asks it again.
        later = (state.intent, *rest)
        state = replace(side, pending=later)
        return state, [a for a in actions if not isinstance(a, Reply)] + more
    return state, actions


def _kept(state: DialogueState) -> Facts:
    """This turn's facts for the next ask: the order stays (the same customer's)."""
    f = state.facts
    return Facts(
        now=f.now, channel=f.channel, text=f.text, known_email=f.known_email,
        read=f.read, ranking=f.ranking, order=f.order, order_looked_up=f.order_looked_up, orders=f.orders,
        proof_refused=f.proof_refused, retry_after=f.retry_after, started=f.started,
    )  # fmt: skip


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
        case StatusEmailed():
            return state.with_facts(status_emailed=True)
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
    act = act_of(msg)  # None unless the bot waited for something (a person included)
    state, answered = fill_slots(state, msg)
    told = lacks_number(msg.text) and not state.slots.order_number
    state, answered, recovered = _no_number(state, act, answered, told, before, policy)
    if recovered is not None:
        return recovered

    stop = act == "stop" and not answered
    if state.intent and (is_exit(msg.text) or stop or (msg.intent == "deny" and not answered)):
        state, _ = finish(replace(state, pending=()))
        return state, [Reply("common/never_mind")]
    if not state.intent and is_exit(msg.text) and msg.intent not in SCRIPTS.keys() - _IDLE:
        return state, [Reply("common/nothing_else")]  # "oh never mind" after an answer
    if state.awaiting and answered and state.intent in SCRIPTS:
        return SCRIPTS[state.intent](replace(state, reprompts=0), policy)
    waited = handoff.waiting(state, msg, policy) if not state.awaiting else None
    if waited is not None:  # "is anyone there?" while a person is on the way
        return waited
    if state.awaiting and act == "ask_person":  # "can someone from your team do it then"
        return _start(replace(state, pending=()), "human_agent", policy)
    if state.awaiting and act in ("thanks", "goodbye") and msg.intent in PATIENT_INTENTS | {act}:
        # "ok thanks!" to a question: the customer is done with it, not answering it.
        state, _ = finish(replace(state, pending=()))
        return SCRIPTS[act](state, policy)
    new = msg.intent if msg.intent in SCRIPTS and not msg.escalate else None
    lost = told and not state.awaiting and new in _BACKSTORY | {None, "track_order"}
    if lost:
        # "i lost the confirmation email, can you look it up by my email?" is about an
        # order (its status by e-mail), not a password, a payment or an article.
        new = "track_order"
    # Help-center answers (and their "Did that help?"), before new scripts and the fallback;
    # not for a message with several asks (the scripts answer each of them).
    several = len({a for a, _ in msg.asks if a in SCRIPTS and a not in _SOCIAL}) > 1
    state, from_article = articles.on_message(
        state, replace(msg, article=None) if several or lost else msg, answered
    )
    if from_article is not None:
        return state, from_article

    in_context = _in_context(state, msg, act, new, policy)
    if in_context is not None:
        return in_context
    if new and not (state.awaiting and (new == state.intent or new in PATIENT_INTENTS)):
        just = state.intents[-2][0] if len(state.intents) > 1 else None
        first, later = _asks(msg, new, just)
        if state.awaiting and state.intent in SCRIPTS and act == "new_request":
            # Asked something else while the bot waited: once that is answered, its own
            # question is open again (a hand-off drops it).
            later = (*later, f"{BACK}{state.intent} {state.awaiting}")
        return _start(replace(state, pending=later), first, policy)
    if state.awaiting:
        if state.reprompts >= MAX_REPROMPTS:
            return escalate(state, policy, "not_understood")
        asked = state.awaiting
        state, actions = SCRIPTS[state.intent or FALLBACK](state, policy)
        if state.awaiting != asked or any(isinstance(a, Effect) for a in actions):
            return state, actions  # the script understood it after all (an item's name…)
        if state.facts.channel == "email":  # an e-mail asks again in full
            return replace(state, reprompts=state.reprompts + 1), [
                Reply("common/reprompt"),
                *actions,
            ]
        # Asked again in other words (the bot never says the same sentence twice in a row).
        buttons = tuple(b for a in actions if isinstance(a, Reply) for b in a.buttons)
        again = {"asked": asked, "again": state.reprompts > 0, "no_number": state.slots.no_number}
        reprompt = Reply("common/reprompt", again, buttons)
        rest = [a for a in actions if not isinstance(a, Reply)]
        return replace(state, reprompts=state.reprompts + 1), [reprompt, *rest]
    if msg.intent in CONTROL_INTENTS:
        return state, [Reply("common/not_understood")]
    slots = state.slots
    gave = (slots.email, slots.order_number) != (before.email, before.order_number)
    if gave and details_only(msg.text):  # "1001 maria@example.com"
        # The details of the order the customer was asking about before (the thread is
        # kept); with nothing to go back to, the question comes next.
        earlier = [i for i, _ in state.intents[-4:-1] if i in _ABOUT_AN_ORDER]
        if earlier:
            return _start(state, earlier[-1], policy)
        return ask_topic(state, policy)
    return SCRIPTS[FALLBACK](replace(state, intent=None), policy)


def _no_number(
    state: DialogueState,
    act: str | None,
    answered: bool,
    told: bool,
    before: Slots,
    policy: Policy,
) -> tuple[DialogueState, bool, Out | None]:
    """Recovery when the customer has no order number: the e-mail way (``no_number``),
    or a person when there is no way in (no address either, no access to the mailbox)."""
    dont_know = act == "dont_know" and state.awaiting in ASKS_ORDER
    if dont_know and before.no_number and not answered:  # no number, no address either
        state, _ = finish(replace(state, pending=()))
        state = state.noting("no order number or email")
        return state, answered, (state, [say("identity/no_details", HUMAN)])
    if not (dont_know or told):
        return state, answered, None
    if lacks_mailbox(state.facts.text) and not state.slots.verified_email:
        note = "no order number and no access to the order's mailbox"
        state = replace(state, pending=()).with_slots(no_number=False)
        out = escalate(
            state, policy, "identity_not_proven", template="identity/no_access", note=note
        )
        return state, answered, out
    return state.with_slots(no_number=True), answered or dont_know, None


def _in_context(
    state: DialogueState, msg: UserMessage, act: str | None, new: str | None, policy: Policy
) -> Out | None:
    """A message read in the context of what the bot just asked or did, or None."""
    if state.awaiting in _OPTIONS and act == "new_request" and new in (None, state.intent):
        # (the model names the best in-scope intent and puts out_of_scope first)
        top = msg.ranking[0][0] if msg.ranking else msg.intent
        if "out_of_scope" in (top, msg.intent):
            # "what's the weather in Paris?" to "Shall I start the return?": outside the
            # catalogue; what the bot can help with, a person as a choice; the question
            # stays open.
            open_now = policy.is_open(msg.now)
            return state, [say("basics/out_of_scope", HUMAN, open_now=open_now)]
        # "can i pause it instead?" to "Shall I cancel it?": not an answer, and not
        # something the bot can do; say so (the question stays open), offer a person.
        state = state.noting(f"asked for what the bot cannot do: {msg.text[:120]}")
        return state, [say("common/cannot_do", HUMAN, intent=state.intent)]
    if state.awaiting == "confirm" and state.intent in _CANCELS and new in _MONEY:
        # "before i say yes - will i still be charged again?": a question about what the
        # bot asked, answered from the question's own facts; the question stays open.
        return SCRIPTS[state.intent](state.with_facts(asked_about_money=True), policy)
    if act == "deny" and not state.awaiting and new in _CANCELS:
        # "no dont cancel, i still want it": a no to cancelling, not a request to cancel.
        return state, [say("common/nothing_changed", escalated=state.escalated)]
    if state.awaiting and new and new != state.intent and new not in PATIENT_INTENTS:
        # A question on the side ("before that - how long do refunds take?") is answered
        # and the bot's own question stays open; a new request switches topic.
        side, more = _start(replace(state, pending=()), new, policy)
        if not side.awaiting and not any(isinstance(a, Effect | HandOff) for a in more):
            return replace(state, facts=replace(state.facts, started=side.facts.started)), more
    return None


def _asks(msg: UserMessage, intent: str, just: str | None) -> tuple[str, tuple[str, ...]]:
    """The script to start first and the later asks, in the order written (at most three).

    Backstory is not an ask: a payment, a missing confirmation e-mail or a refund told
    as a statement beside a question ("I was charged but got no email. Has it shipped?")
    is context for the question, and so is a missing confirmation e-mail told beside
    "has it shipped?". A conditional request ("cancel it if you can't ship") waits for
    the answer to the ask before it (``IF``: the script that answers decides). A later
    ask the bot answered just before (``just``) is not answered again.
    """
    asks = [(a, how) for a, how in msg.asks if a in SCRIPTS and a not in _SOCIAL]
    if not any(a == intent for a, _ in asks):
        return intent, ()
    if any(how == "ask" for _, how in asks):  # ("I can't log in." is a problem, not a story)
        asks = [(a, how) for a, how in asks if not (how == "statement" and a in _TOLD)]
    if any(a == "track_order" for a, _ in asks) and lacks_number(msg.text):
        asks = [(a, how) for a, how in asks if a not in _BACKSTORY]
    order: list[str] = []
    for a, how in asks:
        name = IF + a if how == "if" and order else a
        if a not in {o.removeprefix(IF) for o in order} and (a != just or not order):
            order.append(name)
    return order[0], tuple(order[1:3])
