"""Domain records from the Shopify client's GraphQL answers.

Each reader raises KeyError, TypeError or ValueError on a shape it cannot read;
:func:`shaped` turns those into ``BadResponse``, as :func:`field`, :func:`nullable`
and :func:`nodes` do for a field missing or of the wrong kind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from integrations.errors import BadResponse
from integrations.models import (
    Fulfillment,
    LineItem,
    Order,
    ReturnRequest,
    ShopAccess,
    Subscription,
    TrackingInfo,
)

__all__ = [
    "access",
    "email_of",
    "field",
    "fulfillment",
    "nodes",
    "nullable",
    "order",
    "return_request",
    "returnable_lines",
    "returns",
    "shaped",
    "subscription",
    "throttle_wait",
    "when",
]

VENDOR = "shopify"
T = TypeVar("T")


def when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def order(n: dict[str, Any]) -> Order:
    """An ``Order`` from the ORDERS or ORDER document's node."""
    money = ((n.get("totalPriceSet") or {}).get("shopMoney")) or {}
    address = (n.get("shippingAddress") or {}).get("formatted") or []
    processed = when(n["processedAt"])
    if processed is None:
        raise ValueError("order without processedAt")
    return Order(
        id=n["id"],
        name=n["name"],
        email=n.get("email"),
        processed_at=processed,
        financial_status=n.get("displayFinancialStatus") or "UNKNOWN",
        fulfillment_status=n.get("displayFulfillmentStatus") or "UNKNOWN",
        line_items=tuple(
            LineItem(
                id=li["id"], title=li["title"], quantity=int(li["quantity"]), sku=li.get("sku")
            )
            for li in n["lineItems"]["nodes"]
        ),
        fulfillments=tuple(fulfillment(f) for f in n.get("fulfillments") or ()),
        cancelled_at=when(n.get("cancelledAt")),
        cancel_reason=n.get("cancelReason"),
        total_price=money.get("amount"),
        currency=money.get("currencyCode"),
        shipping_address=", ".join(str(part) for part in address) or None,
    )


def fulfillment(f: dict[str, Any]) -> Fulfillment:
    created = when(f["createdAt"])
    if created is None:
        raise ValueError("fulfillment without createdAt")
    return Fulfillment(
        id=f["id"],
        status=f["status"],
        display_status=f.get("displayStatus"),
        created_at=created,
        tracking=tuple(
            TrackingInfo(number=t["number"], company=t.get("company"), url=t.get("url"))
            for t in f.get("trackingInfo") or ()
            if t.get("number")
        ),
        line_item_ids=tuple(
            li["lineItem"]["id"] for li in (f.get("fulfillmentLineItems") or {}).get("nodes", ())
        ),
        in_transit_at=when(f.get("inTransitAt")),
        estimated_delivery_at=when(f.get("estimatedDeliveryAt")),
        delivered_at=when(f.get("deliveredAt")),
    )


def returnable_lines(data: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(fulfillment line item id, line item id, quantity still returnable)."""
    return [
        (
            line["fulfillmentLineItem"]["id"],
            line["fulfillmentLineItem"]["lineItem"]["id"],
            int(line["quantity"]),
        )
        for rf in data["returnableFulfillments"]["nodes"]
        for line in rf["returnableFulfillmentLineItems"]["nodes"]
    ]


def return_request(r: dict[str, Any], order_id: str) -> ReturnRequest:
    """A ``ReturnRequest`` from a Return node (``order_id`` when it selects no order)."""
    return ReturnRequest(
        id=r["id"], status=r["status"], order_id=(r.get("order") or {}).get("id", order_id)
    )


def returns(order_node: dict[str, Any]) -> list[ReturnRequest]:
    """The returns of the ORDER_RETURNS document's order, in the order listed."""
    return [return_request(r, order_node["id"]) for r in order_node["returns"]["nodes"]]


def email_of(customer: dict[str, Any]) -> str | None:
    address = customer.get("defaultEmailAddress")
    return address.get("emailAddress") if isinstance(address, dict) else None


def subscription(c: dict[str, Any]) -> Subscription:
    """A ``Subscription`` from a SubscriptionContract node."""

    def build() -> Subscription:
        lines = (c.get("lines") or {}).get("nodes") or []
        return Subscription(
            id=c["id"],
            status=c["status"],
            title=", ".join(str(line["title"]) for line in lines),
            next_billing_date=when(c.get("nextBillingDate")),
            customer_email=email_of(c.get("customer") or {}),
        )

    return build()


def access(data: dict[str, Any]) -> ShopAccess:
    shop = field(data, "shop", dict)
    scopes = field(field(data, "currentAppInstallation", dict), "accessScopes", list)
    return ShopAccess(
        name=str(shop["name"]),
        domain=str(shop["myshopifyDomain"]),
        scopes=frozenset(str(s["handle"]) for s in scopes),
    )


# --- reading an answer ---------------------------------------------------------


def field(obj: Any, key: str, kind: type[T]) -> T:
    """``obj[key]``, which must be a ``kind``."""
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, kind):
        raise BadResponse(
            f"GraphQL answer: {key!r} missing or not a {kind.__name__}", vendor=VENDOR
        )
    return value


def nullable(obj: dict[str, Any], key: str) -> dict[str, Any] | None:
    """A nullable object field (``order(id:)`` is null for an unknown id)."""
    if key not in obj:
        raise BadResponse(f"GraphQL answer: {key!r} missing", vendor=VENDOR)
    value = obj[key]
    if value is not None and not isinstance(value, dict):
        raise BadResponse(f"GraphQL answer: {key!r} is not an object", vendor=VENDOR)
    return value


def shaped(build: Callable[[], T]) -> T:
    """What ``build`` reads, or BadResponse when the answer is not shaped as expected."""
    try:
        return build()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadResponse(f"unexpected GraphQL shape: {exc!r}", vendor=VENDOR) from exc


def nodes(data: dict[str, Any], key: str, convert: Callable[[dict[str, Any]], T]) -> list[T]:
    """``data[key].nodes``, each converted."""
    return [shaped(lambda n=n: convert(n)) for n in field(field(data, key, dict), "nodes", list)]


def throttle_wait(cost: Any) -> float | None:
    """Seconds until the bucket holds what a THROTTLED query asked for (``extensions.cost``)."""
    try:
        status = cost["throttleStatus"]
        deficit = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        rate = float(status["restoreRate"])
    except (KeyError, TypeError, ValueError):
        return None
    if rate <= 0:
        return None
    return max(0.0, deficit) / rate + 0.1  # a little slack for clock skew
