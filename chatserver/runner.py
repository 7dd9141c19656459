"""The edge of the conversation core: executes effects and feeds the answers back.

``run_turn`` drives ``step`` until it asks for nothing more from the outside world.
Every outside failure (``IntegrationError``, or no answer within ``timeout`` seconds)
becomes an ``ActionFailed`` event, so a script never sees an exception: the engine turns
it into an honest holding answer and a hand-off. Besides Shopify and the carriers, the
runner asks who is online (``Staff``) and opens a chat's Zendesk ticket (``Tickets``).

A turn may run twice: a process that dies before the turn's answer is stored leaves
the customer's message to answer again (``chatserver.ops.recovery``, the Zendesk
worker). Lookups are safe to repeat; an action is checked against Shopify before it is
done: an order already cancelled, or a subscription already cancelled, is reported as
done; a return whose items are no longer returnable because a return for the order is
already in progress reuses that return.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from chatserver.dialogue.actions import (
    Action,
    CancelOrder,
    CancelSubscription,
    CheckAvailability,
    Effect,
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
    ReturnRequested,
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

__all__ = ["AlwaysStaffed", "Runner", "Shop", "Staff", "Tickets", "Tracker", "run_turn"]


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
        timeout: seconds one effect may take before the turn gives up on it.
    """

    def __init__(
        self,
        shop: Shop,
        tracker: Tracker,
        *,
        staff: Staff | None = None,
        tickets: Tickets | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.shop = shop
        self.tracker = tracker
        self.staff: Staff = staff or AlwaysStaffed()
        self.tickets = tickets
        self.timeout = timeout

    async def execute(self, effect: Effect, *, session_id: str = "") -> Event:
        """Run one effect for the session; an outside failure comes back as ``ActionFailed``."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._execute(effect, session_id)
        except IntegrationError as exc:
            return ActionFailed(type(effect).__name__, str(exc), exc.vendor)
        except TimeoutError:
            return ActionFailed(type(effect).__name__, f"no answer within {self.timeout:g}s")

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
    max_effects: int = 8,
) -> tuple[DialogueState, list[Action]]:
    """Step through one turn; returns the final state and every non-effect action in order."""
    out: list[Action] = []
    for _ in range(max_effects):
        state, actions = step(state, event, policy)
        effects: Sequence[Effect] = [a for a in actions if isinstance(a, Effect)]
        out.extend(a for a in actions if not isinstance(a, Effect))
        if not effects:
            return state, out
        event = await runner.execute(effects[0], session_id=session_id)
    # A script that keeps asking is a bug; the customer still gets a human.
    out.append(Reply("common/holding"))
    out.append(HandOff("loop_guard", "the bot kept asking for outside data"))
    return state, out
