"""Resolvers that make the vendored Admin schema (``shopify_schemas/``) answer from
:class:`~integrations.sandbox.shopify_store.ShopifyStore` state.

The schema is Shopify's own, pruned (see :mod:`integrations.contracts.prune`); this
module only says where each field's value comes from. Fields not named here read the
same-named key of the dict their parent resolved to. Every value goes through the
schema's types on the way out, so an enum value Shopify does not have, or a null in
a non-null field, is an error here as well.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from integrations.sandbox.demo import DemoCustomer, DemoOrder, DemoSubscription
from integrations.sandbox.graphql import paginate

if TYPE_CHECKING:
    from integrations.sandbox.shopify_store import ShopifyStore

__all__ = ["RESOLVERS", "for_schema", "gid", "gid_number"]

Resolver = Callable[..., Any]


def gid(kind: str, id_: int) -> str:
    return f"gid://shopify/{kind}/{id_}"


def gid_number(value: Any, kind: str) -> int | None:
    m = re.fullmatch(rf"gid://shopify/{kind}/(\d+)", str(value or ""))
    return int(m.group(1)) if m else None


def _total(o: DemoOrder) -> Decimal:
    return sum((Decimal(li.price) * li.quantity for li in o.line_items), Decimal(0))


def _fulfillment_status(o: DemoOrder) -> str:
    shipped = {i for f in o.fulfillments for i in f.line_item_ids}
    if not shipped:
        return "UNFULFILLED"
    return "FULFILLED" if all(li.id in shipped for li in o.line_items) else "PARTIALLY_FULFILLED"


def _address(o: DemoOrder) -> dict[str, Any] | None:
    parts = [p.strip() for p in o.shipping_address.split(",") if p.strip()]
    return {"formatted": parts} if parts else None


def _page(get: Callable[[Any], list[Any]]) -> Resolver:
    return lambda obj, _info, **args: paginate(get(obj), args)


def _first(get: Callable[[Any], list[Any]]) -> Resolver:
    """A plain list field with a ``first`` argument (Fulfillment.trackingInfo)."""
    return lambda obj, _info, **args: get(obj)[: args.get("first") or None]


def _sim(info: Any) -> ShopifyStore:
    return info.context  # type: ignore[no-any-return]


def _cancelled(info: Any, o: DemoOrder, i: int) -> Any:
    c = _sim(info).cancelled.get(o.id)
    return c[i] if c else None


def _contract_status(info: Any, c: DemoSubscription) -> str:
    return _sim(info).subscription_status[c.id]


def _contracts(c: DemoCustomer, info: Any, **args: Any) -> Any:
    mine = [s for s in _sim(info).shop.subscriptions if s.customer_email == c.email]
    return paginate(mine, args)


def _fulfillments(o: DemoOrder, info: Any, **args: Any) -> Any:
    return _sim(info).fulfillments(o)[: args.get("first") or None]


def _returns(o: DemoOrder, info: Any, **args: Any) -> Any:
    found = _sim(info).returns_of(o)
    return paginate(found[::-1] if args.get("reverse") else found, args)


def _root(method: str) -> Resolver:
    """A root field answered by the simulator method of that name."""
    return lambda _root, info, **args: getattr(_sim(info), method)(args)


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "QueryRoot": {
        "orders": _root("orders"),
        "order": _root("find_order"),
        "customers": _root("customers"),
        "subscriptionContract": _root("find_contract"),
        "returnableFulfillments": _root("returnable"),
        "returnReasonDefinitions": _root("return_reasons"),
        "shop": _root("shop_info"),
        "currentAppInstallation": _root("installation"),
    },
    "Mutation": {
        "orderCancel": _root("order_cancel"),
        "returnRequest": _root("return_request"),
        "subscriptionContractCancel": _root("subscription_cancel"),
    },
    "Order": {
        "id": lambda o, _: gid("Order", o.id),
        "name": lambda o, _: o.name,
        "email": lambda o, _: o.customer_email,
        "processedAt": lambda o, _: o.processed_at,
        "cancelledAt": lambda o, info: _cancelled(info, o, 0),
        "cancelReason": lambda o, info: _cancelled(info, o, 1),
        "displayFinancialStatus": lambda o, _: o.financial_status,
        "displayFulfillmentStatus": lambda o, _: _fulfillment_status(o),
        "totalPriceSet": lambda o, _: {
            "shopMoney": {"amount": _total(o), "currencyCode": o.currency}
        },
        "shippingAddress": lambda o, _: _address(o),
        "lineItems": _page(lambda o: list(o.line_items)),
        "fulfillments": _fulfillments,
        "returns": _returns,
    },
    "LineItem": {
        "id": lambda li, _: gid("LineItem", li.id),
        "title": lambda li, _: li.title,
        "quantity": lambda li, _: li.quantity,
        "sku": lambda li, _: li.sku,
    },
    "MailingAddress": {"formatted": lambda a, _, **__: a["formatted"]},
    "Fulfillment": {
        "trackingInfo": _first(lambda f: f["_tracking"]),
        "fulfillmentLineItems": _page(lambda f: f["_lines"]),
    },
    "Customer": {
        "defaultEmailAddress": lambda c, _: {"emailAddress": c.email},
        "subscriptionContracts": _contracts,
    },
    "SubscriptionContract": {
        "id": lambda c, _: gid("SubscriptionContract", c.id),
        "status": lambda c, info: _contract_status(info, c),
        "nextBillingDate": lambda c, info: (
            None if _contract_status(info, c) == "CANCELLED" else c.next_billing_date
        ),
        "customer": lambda c, info: _sim(info).customer(c.customer_email),
        "lines": _page(lambda c: [{"title": c.title, "quantity": 1}]),
    },
    "ReturnableFulfillment": {"returnableFulfillmentLineItems": _page(lambda r: r["_lines"])},
}


def for_schema(types: dict[str, Any], query_root: str) -> dict[str, dict[str, Resolver]]:
    """The resolvers whose type and field exist in one version's schema (the query root
    is ``QueryRoot`` in most published schemas and ``Query`` in some)."""
    out: dict[str, dict[str, Resolver]] = {}
    for type_name, fields in RESOLVERS.items():
        name = query_root if type_name == "QueryRoot" else type_name
        kind = types.get(name)
        if kind is None:
            continue
        present = {f: r for f, r in fields.items() if f in kind.fields}
        if present:
            out[name] = present
    return out
