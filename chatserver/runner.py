"""The edge of the conversation core: executes effects and feeds the answers back.

``run_turn`` drives ``step`` until it asks for nothing more from the outside world.
Every outside failure (``IntegrationError``, or no answer within ``timeout`` seconds)
becomes an ``ActionFailed`` event, so a script never sees an exception: the engine turns
it into an honest holding answer and a hand-off. Besides Shopify and the carriers, the
runner asks who is online (``Staff``) and opens a chat's Zendesk ticket (``Tickets``).
Before a lookup that proves an order (``LookupOrder(proof=True)``) it asks ``Attempts``
whether this session, client address, email and order number may try again; when not,
nothing is looked up and the answer is ``ProofRefused``.

A turn may run twice: a process that dies before the turn's answer is stored leaves
the customer's message to answer again (``chatserver.ops.recovery``, the Zendesk
worker). Lookups are safe to repeat; an action is checked against Shopify before it is
done: an order already cancelled, or a subscription already cancelled, is reported as
done; a return whose items are no longer returnable because a return for the order is
already in progress reuses that return.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any, Protocol

from chatserver.dialogue.actions import (
    Action,
    CancelOrder,
    CancelSubscription,
    CheckAvailability,
    Effect,
    EmailOrderStatus,
    HandOff,
    LookupOrder,
    LookupOrders,
    LookupSubscriptions,
    OpenTicket,
    Reply,
    RequestReturn,
    TrackShipments,
)
from chatserver.dialogue.engine import step
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
)
from chatserver.dialogue.state import DialogueState
from chatserver.policy import Policy
from integrations.errors import IntegrationError, NotFound
from integrations.models import Order, ReturnRequest, Subscription, Tracking, TrackingStatus
from integrations.shopify import ShopifyUserError

__all__ = [
    "AlwaysStaffed",
    "Attempts",
    "Mail",
    "Runner",
    "Shop",
    "Staff",
    "Tickets",
    "Tracker",
    "Unlimited",
    "run_turn",
]


class Shop(Protocol):
    """What the scripts need from Shopify (``integrations.shopify.ShopifyClient``)."""

    async def latest_orders(self, email: str, limit: int) -> list[Order]: ...

    async def order_by_name(self, name: str, email: str | None = None) -> Order | None: ...

    async def order(self, order_id: str) -> Order | None: ...

    async def cancel_order(self, order_id: str) -> Any: ...

    async def request_return(
        self, order_id: str, items: Any, reason: str, note: str
    ) -> ReturnRequest: ...

    async def open_returns(self, order_id: str) -> list[ReturnRequest]: ...

    async def subscriptions(self, email: str) -> list[Subscription]: ...

    async def subscription(self, contract_id: str) -> Subscription | None: ...

    async def cancel_subscription(self, contract_id: str) -> Subscription: ...


class Tracker(Protocol):
    """Tracks a parcel with whichever carrier fits; None when none does."""

    async def track(self, number: str, company: str | None) -> Tracking | None: ...


class Staff(Protocol):
    """Who can take a chat: agents online on any server process (``chatserver.ops.presence``)."""

    async def agents_online(self) -> bool: ...


class Tickets(Protocol):
    """Opens a chat's Zendesk ticket, or adds to it (``chatserver.channels.handoff``)."""

    async def open(self, session_id: str, ticket: OpenTicket) -> TicketOpened: ...


class Mail(Protocol):
    """E-mails an order's status to the address on it (``chatserver.channels.status_mail``)."""

    async def send(self, order: Order) -> None: ...


class Attempts(Protocol):
    """Failed order proofs across sessions and processes (``chatserver.ops.attempts``).

    ``reserve`` answers 0 (go ahead; the attempt counts as failed until ``forgive``) or the
    seconds to wait (``math.inf``: not for now).
    """

    async def reserve(self, *, session: str, client: str, email: str, order: str) -> float: ...

    async def forgive(self, *, session: str, client: str, email: str, order: str) -> None: ...


class Unlimited:
    """No limit on proofs (offline runs: replay, tests of other things)."""

    async def reserve(self, *, session: str, client: str, email: str, order: str) -> float:
        return 0.0

    async def forgive(self, *, session: str, client: str, email: str, order: str) -> None:
        return None


class AlwaysStaffed:
    """Someone is always there: offline runs (replay, tests) keep hand-offs in the chat."""

    async def agents_online(self) -> bool:
        return True


class Runner:
    """Executes effects against Shopify, the carriers, the agents' presence and Zendesk.

    Args:
        shop: the Shopify client.
        tracker: the carrier dispatcher.
        staff: who is online (default: always someone).
        tickets: opens chat hand-off tickets (default: none; such a hand-off says so).
        attempts: counts failed order proofs (default: no limit).
        mail: e-mails an order's status (default: none; such a request fails honestly).
        timeout: seconds one effect may take before the turn gives up on it.
    """

    def __init__(
        self,
        shop: Shop,
        tracker: Tracker,
        *,
        staff: Staff | None = None,
        tickets: Tickets | None = None,
        attempts: Attempts | None = None,
        mail: Mail | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.shop = shop
        self.tracker = tracker
        self.staff: Staff = staff or AlwaysStaffed()
        self.tickets = tickets
        self.attempts: Attempts = attempts or Unlimited()
        self.mail = mail
        self.timeout = timeout

    async def execute(self, effect: Effect, *, session_id: str = "", client: str = "") -> Event:
        """Run one effect for the session (``client``: its address, for the proof limits);
        an outside failure comes back as ``ActionFailed``."""
        try:
            async with asyncio.timeout(self.timeout):
                if isinstance(effect, LookupOrder) and effect.proof:
                    return await self._prove(effect, session_id, client)
                return await self._execute(effect, session_id)
        except IntegrationError as exc:
            return ActionFailed(type(effect).__name__, str(exc), exc.vendor)
        except TimeoutError:
            return ActionFailed(type(effect).__name__, f"no answer within {self.timeout:g}s")

    async def _prove(self, effect: LookupOrder, session_id: str, client: str) -> Event:
        """A proof's lookup, only when the limits allow it; a match is no failure."""
        claim = {
            "session": session_id,
            "client": client,
            "email": effect.email or "",
            "order": effect.name,
        }
        wait = await self.attempts.reserve(**claim)
        if wait > 0:
            return ProofRefused(None if math.isinf(wait) else wait)
        order: Order | None = None
        answered = False
        try:
            try:
                order = await self.shop.order_by_name(effect.name, email=effect.email)
            except NotFound:
                order = None
            answered = True
        finally:  # proven, or Shopify did not answer: no failed proof
            if order is not None or not answered:
                await self.attempts.forgive(**claim)
        return OrderFound(order, effect.email, proof=True)

    async def _track(self, number: str, company: str | None) -> Tracking | None:
        try:
            return await self.tracker.track(number, company)
        except NotFound as exc:
            return Tracking(carrier=exc.vendor, number=number, status=TrackingStatus.NOT_FOUND)

    async def _request_return(
        self, order_id: str, items: Any, reason: str, note: str
    ) -> ReturnRequest:
        # Shopify reads what is still returnable before it creates a return; items no
        # longer returnable while a return of the order is in progress were requested
        # already (by an earlier run of this turn): that return is the answer.
        try:
            return await self.shop.request_return(order_id, list(items), reason, note)
        except ShopifyUserError as exc:
            if not any(e.code == "NOT_RETURNABLE" for e in exc.errors):
                raise
            in_progress = await self.shop.open_returns(order_id)
            if not in_progress:
                raise
            return in_progress[0]

    async def _execute(self, effect: Effect, session_id: str) -> Event:
        match effect:
            case LookupOrder(name=name, email=email):
                try:
                    return OrderFound(await self.shop.order_by_name(name, email=email), email)
                except NotFound:
                    return OrderFound(None, email)
            case LookupOrders(email=email, limit=limit):
                return OrdersFound(tuple(await self.shop.latest_orders(email, limit)))
            case TrackShipments(parcels=parcels):
                found = await asyncio.gather(*(self._track(n, c) for n, c in parcels))
                return Tracked(tuple(found))
            case CancelOrder(order_id=order_id):
                current = await self.shop.order(order_id)  # cancelled by an earlier run?
                if current is not None and current.is_cancelled:
                    return OrderCancelled(current)
                result = await self.shop.cancel_order(order_id)
                return OrderCancelled(result if isinstance(result, Order) else None)
            case RequestReturn(order_id=order_id, items=items, reason=reason, note=note):
                return ReturnRequested(await self._request_return(order_id, items, reason, note))
            case LookupSubscriptions(email=email):
                return SubscriptionsFound(tuple(await self.shop.subscriptions(email)))
            case CancelSubscription(contract_id=contract_id):
                current = await self.shop.subscription(contract_id)  # an earlier run's?
                if current is not None and current.status == "CANCELLED":
                    return SubscriptionCancelled(current)
                return SubscriptionCancelled(await self.shop.cancel_subscription(contract_id))
            case EmailOrderStatus(email=email):
                if self.mail is None:
                    return ActionFailed("EmailOrderStatus", "no e-mail channel for statuses")
                orders = await self.shop.latest_orders(email, 1)
                if not orders:
                    return StatusEmailed(sent=False)
                await self.mail.send(orders[0])
                return StatusEmailed(sent=True)
            case CheckAvailability():
                return AgentsAvailable(await self.staff.agents_online())
            case OpenTicket():
                if self.tickets is None:
                    return ActionFailed("OpenTicket", "no Zendesk desk for chat hand-offs")
                return await self.tickets.open(session_id, effect)
        raise TypeError(f"unknown effect {effect!r}")


async def run_turn(
    state: DialogueState,
    event: Event,
    policy: Policy,
    runner: Runner,
    *,
    session_id: str = "",
    client: str = "",
    max_effects: int = 8,
) -> tuple[DialogueState, list[Action]]:
    """Step through one turn; returns the final state and every non-effect action in order.

    ``client`` is the customer's address (the proof limits count it), when known.
    """
    out: list[Action] = []
    for _ in range(max_effects):
        state, actions = step(state, event, policy)
        effects: Sequence[Effect] = [a for a in actions if isinstance(a, Effect)]
        out.extend(a for a in actions if not isinstance(a, Effect))
        if not effects:
            return state, out
        event = await runner.execute(effects[0], session_id=session_id, client=client)
    # A script that keeps asking is a bug; the customer still gets a human.
    out.append(Reply("common/holding"))
    out.append(HandOff("loop_guard", "the bot kept asking for outside data"))
    return state, out
