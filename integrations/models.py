"""Domain records returned by the clients: what the dialogue core reads, never raw JSON."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "Comment",
    "Fulfillment",
    "LineItem",
    "Order",
    "ReturnRequest",
    "ShopAccess",
    "Subscription",
    "Ticket",
    "Tracking",
    "TrackingEvent",
    "TrackingInfo",
    "TrackingStatus",
    "ZendeskUser",
]


# --- Shopify -----------------------------------------------------------------


@dataclass(frozen=True)
class LineItem:
    id: str  # gid://shopify/LineItem/...
    title: str
    quantity: int
    sku: str | None = None


@dataclass(frozen=True)
class TrackingInfo:
    number: str
    company: str | None = None  # as Shopify names it: "USPS", "FedEx", "UPS", "DHL Express"...
    url: str | None = None


@dataclass(frozen=True)
class Fulfillment:
    id: str
    status: str  # FulfillmentStatus: SUCCESS, CANCELLED, ERROR, FAILURE
    display_status: str | None  # FulfillmentDisplayStatus: IN_TRANSIT, DELIVERED, ...
    created_at: datetime
    tracking: tuple[TrackingInfo, ...] = ()
    line_item_ids: tuple[str, ...] = ()  # the order's LineItem ids this fulfillment ships
    in_transit_at: datetime | None = None
    estimated_delivery_at: datetime | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class Order:
    id: str  # gid://shopify/Order/...
    name: str  # "#1001"
    email: str | None
    processed_at: datetime
    financial_status: str  # OrderDisplayFinancialStatus: PAID, PENDING, REFUNDED, ...
    fulfillment_status: str  # OrderDisplayFulfillmentStatus: UNFULFILLED, FULFILLED, ...
    line_items: tuple[LineItem, ...] = ()
    fulfillments: tuple[Fulfillment, ...] = ()
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    total_price: str | None = None  # decimal string, e.g. "89.00"
    currency: str | None = None
    shipping_address: str | None = None  # one line, for the customer to check

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_fulfilled(self) -> bool:
        return any(f.status == "SUCCESS" for f in self.fulfillments)


@dataclass(frozen=True)
class ShopAccess:
    """The shop an Admin token opens, and the access scopes granted to the app."""

    name: str
    domain: str  # {shop}.myshopify.com
    scopes: frozenset[str]  # handles: read_orders, write_orders...


@dataclass(frozen=True)
class ReturnRequest:
    id: str
    status: str  # REQUESTED, OPEN, ...
    order_id: str


@dataclass(frozen=True)
class Subscription:
    id: str  # gid://shopify/SubscriptionContract/...
    status: str  # ACTIVE, PAUSED, CANCELLED, EXPIRED, FAILED, STALE
    title: str  # what is delivered, e.g. "Coffee beans, 1 kg every month"
    next_billing_date: datetime | None = None
    customer_email: str | None = None


# --- Carriers ----------------------------------------------------------------


class TrackingStatus(enum.StrEnum):
    """One vocabulary for every carrier's statuses."""

    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    DELIVERY_ATTEMPTED = "delivery_attempted"
    DELAYED = "delayed"
    EXCEPTION = "exception"
    RETURNED_TO_SENDER = "returned_to_sender"
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TrackingEvent:
    at: datetime | None  # timezone-aware when the carrier gave an offset, else naive local
    description: str
    location: str | None = None
    status: TrackingStatus | None = None
    code: str | None = None  # the carrier's own event code


@dataclass(frozen=True)
class Tracking:
    carrier: str  # "usps" | "fedex" | "ups" | "dhl"
    number: str
    status: TrackingStatus
    description: str = ""  # the carrier's own words for the current status
    estimated_delivery: datetime | None = None
    delivered_at: datetime | None = None
    events: tuple[TrackingEvent, ...] = ()  # newest first
    service: str | None = None
    url: str | None = None  # public tracking page for the customer
    raw_status: str | None = None  # the carrier's status code, for agents


# --- Zendesk -----------------------------------------------------------------


@dataclass(frozen=True)
class ZendeskUser:
    id: int
    name: str
    email: str | None
    role: str  # end-user | agent | admin


@dataclass(frozen=True)
class Comment:
    id: int
    author_id: int
    body: str
    public: bool
    created_at: datetime
    html_body: str | None = None
    plain_body: str | None = None
    via_channel: str | None = None


@dataclass(frozen=True)
class Ticket:
    id: int
    subject: str
    status: str  # new | open | pending | hold | solved | closed
    requester_id: int
    assignee_id: int | None
    group_id: int | None
    tags: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    via_channel: str | None = None
    requester: ZendeskUser | None = field(default=None, compare=False)
    # Everyone else a public reply reaches: email CCs and followers (Zendesk also lists
    # both as collaborator_ids).
    email_cc_ids: tuple[int, ...] = ()
    follower_ids: tuple[int, ...] = ()
    collaborator_ids: tuple[int, ...] = ()
