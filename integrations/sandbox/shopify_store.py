"""The Shopify sandbox's state and what its root fields do with it: search orders and
customers, read an order or a subscription contract by id, list what can be returned,
cancel, request returns, cancel subscriptions.

Arguments arrive already checked against the published schema (types, required
arguments, removed input fields), so this module checks only what the schema cannot
say: business rules, answered as ``userErrors`` of the type the schema declares.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError

from integrations.models import TrackingStatus
from integrations.sandbox.demo import DemoCustomer, DemoOrder, DemoShop, DemoSubscription
from integrations.sandbox.graphql import Page, paginate
from integrations.sandbox.shopify_resolvers import gid, gid_number
from integrations.shopify_queries import OPTIONAL_SCOPES, REQUIRED_SCOPES

__all__ = [
    "CARRIER_COMPANIES",
    "GRANTED_SCOPES",
    "RETURN_REASON_HANDLES",
    "SHOP_DOMAIN",
    "SHOP_NAME",
    "ShopifyStore",
    "tracking_url",
]

SHOP_NAME, SHOP_DOMAIN = "Maison Demo", "maison-demo.myshopify.com"
GRANTED_SCOPES = frozenset({*REQUIRED_SCOPES, *OPTIONAL_SCOPES})  # the demo app has them all
CARRIER_COMPANIES = {"usps": "USPS", "fedex": "FedEx", "ups": "UPS", "dhl": "DHL Express"}
_TRACKING_URLS = {
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "ups": "https://www.ups.com/track?tracknum={}",
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={}",
}
_SEARCH_TERM = re.compile(r'(?:(\w+):)?("(?:[^"\\]|\\.)*"|\S+)')
# [U] the sandbox's return reason library: one definition per ReturnReason value.
RETURN_REASON_HANDLES = (
    "color", "defective", "not-as-described", "other", "too-large", "too-small",
    "style", "unwanted", "wrong-item",
)  # fmt: skip
_REASON_ID_BASE = 7770000
# A return declined or cancelled gives its items back: they can be returned again.
_RETURN_SETTLED_WITHOUT_ITEMS = frozenset({"DECLINED", "CANCELED"})


def tracking_url(carrier: str, number: str) -> str:
    """The carrier's public tracking page, as Shopify links it."""
    return _TRACKING_URLS[carrier].format(number)


def _user_error(message: str, code: str, *field: str) -> dict[str, Any]:
    return {"field": list(field) or None, "message": message, "code": code}


def _fli_id(fulfillment_id: int, line_item_id: int) -> int:
    return fulfillment_id * 100_000 + line_item_id


class ShopifyStore:
    """The shop as the sandbox changes it: cancellations, returns, subscription changes
    are visible to later queries. ``search_warnings`` collects one request's warnings."""

    def __init__(self, shop: DemoShop) -> None:
        self.shop = shop
        self.cancelled: dict[int, tuple[datetime, str]] = {}
        self.returns: list[dict[str, Any]] = []  # one per returned line
        self.return_status: dict[str, str] = {}  # Return gid -> ReturnStatus
        self.subscription_status = {s.id: s.status for s in shop.subscriptions}
        self.search_warnings: list[dict[str, Any]] = []
        self._customers = {c.email: c for c in shop.customers}
        # What the app's token was granted (``chatbot check`` reads it); tests remove some.
        self.access_scopes: set[str] = set(GRANTED_SCOPES)
        self._shipments = {s.tracking_number: s for s in shop.shipments}

    # --- reading -------------------------------------------------------------------

    def shop_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"name": SHOP_NAME, "myshopifyDomain": SHOP_DOMAIN}

    def installation(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"accessScopes": [{"handle": h} for h in sorted(self.access_scopes)]}

    def order(self, order_id: int | None) -> DemoOrder | None:
        return next((o for o in self.shop.orders if o.id == order_id), None)

    def customer(self, email: str) -> DemoCustomer | None:
        return self._customers.get(email)

    def find_order(self, args: dict[str, Any]) -> DemoOrder | None:
        """``order(id:)``: null for an id that is no order of the shop, as on Shopify."""
        return self.order(gid_number(args["id"], "Order"))

    def find_contract(self, args: dict[str, Any]) -> DemoSubscription | None:
        """``subscriptionContract(id:)``: null when there is none."""
        sid = gid_number(args["id"], "SubscriptionContract")
        return next((s for s in self.shop.subscriptions if s.id == sid), None)

    def returns_of(self, order: DemoOrder) -> list[dict[str, Any]]:
        """The order's returns (``Order.returns``), oldest first, with their status."""
        found: dict[str, dict[str, Any]] = {}
        for line in self.returns:
            if line["order"] == order.id and line["id"] not in found:
                found[line["id"]] = {
                    "id": line["id"],
                    "name": line["name"],
                    "status": self.return_status[line["id"]],
                    "order": order,
                }
        return list(found.values())

    def _returned(self, fli: str) -> int:
        """How much of a fulfillment line item returns still hold."""
        return sum(
            r["quantity"]
            for r in self.returns
            if r["fli"] == fli and self.return_status[r["id"]] not in _RETURN_SETTLED_WITHOUT_ITEMS
        )

    def _search(self, query: str | None, records: list[Any], fields: dict[str, Callable]) -> list:
        for name, raw in _SEARCH_TERM.findall(query or ""):
            value = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
            match = fields.get(name.lower() if name else "default")
            if match is None:
                warning = {"field": name, "message": "Invalid search field for this query."}
                self.search_warnings.append({"query": query, "warnings": [warning]})
                continue
            records = [r for r in records if match(r, value.lower())]
        return records

    def orders(self, args: dict[str, Any]) -> Page:
        matchers = {
            "email": lambda o, v: o.customer_email.lower() == v,
            "name": lambda o, v: o.name.lower() in (v, f"#{v}"),
            "default": lambda o, v: v in o.customer_email.lower() or v in o.name.lower(),
        }
        found = self._search(args.get("query"), list(self.shop.orders), matchers)
        key = {"PROCESSED_AT": lambda o: o.processed_at, "CREATED_AT": lambda o: o.processed_at}
        found.sort(key=key.get(args.get("sortKey") or "ID", lambda o: o.id))
        if args.get("reverse"):
            found.reverse()
        return paginate(found, args)

    def customers(self, args: dict[str, Any]) -> Page:
        matchers = {"email": lambda c, v: c.email.lower() == v}
        return paginate(self._search(args.get("query"), list(self.shop.customers), matchers), args)

    def fulfillments(self, order: DemoOrder) -> list[dict[str, Any]]:
        return [self._fulfillment(order, f) for f in order.fulfillments]

    def _fulfillment(self, order: DemoOrder, f: Any) -> dict[str, Any]:
        ship = self._shipments.get(f.tracking_number)
        moving = (
            [at for at, st, *_ in ship.events if st != TrackingStatus.LABEL_CREATED] if ship else []
        )
        return {
            "id": gid("Fulfillment", f.id),
            "status": "SUCCESS",
            "displayStatus": f.display_status,
            "createdAt": f.created_at,
            "inTransitAt": min(moving) if moving else None,
            "estimatedDeliveryAt": ship.estimated_delivery if ship else None,
            "deliveredAt": ship.delivered_at if ship else None,
            "_tracking": [
                {
                    "number": f.tracking_number,
                    "company": CARRIER_COMPANIES[f.carrier],
                    "url": tracking_url(f.carrier, f.tracking_number),
                }
            ],
            "_lines": [
                {
                    "id": gid("FulfillmentLineItem", _fli_id(f.id, li.id)),
                    "quantity": li.quantity,
                    "lineItem": li,
                }
                for li in order.line_items
                if li.id in f.line_item_ids
            ],
            "_delivered": f.display_status == "DELIVERED",
        }

    def returnable(self, args: dict[str, Any]) -> Page:
        order = self.order(gid_number(args.get("orderId"), "Order"))
        if order is None:
            raise GraphQLError("Order does not exist", extensions={"code": "NOT_FOUND"})
        nodes = []
        for f in self.fulfillments(order):
            lines = []
            for line in f["_lines"]:
                left = line["quantity"] - self._returned(line["id"])
                if left > 0:
                    lines.append({"quantity": left, "fulfillmentLineItem": line})
            if f["_delivered"] and lines and order.id not in self.cancelled:
                rid = gid("ReturnableFulfillment", gid_number(f["id"], "Fulfillment") or 0)
                nodes.append({"id": rid, "fulfillment": f, "_lines": lines})
        return paginate(nodes, args)

    def return_reasons(self, args: dict[str, Any]) -> Page:
        library = [
            {"id": gid("ReturnReasonDefinition", _REASON_ID_BASE + i), "handle": h,
             "name": h.replace("-", " ").capitalize(), "deleted": False}
            for i, h in enumerate(RETURN_REASON_HANDLES)
        ]  # fmt: skip
        if args.get("handles") is not None:
            library = [d for d in library if d["handle"] in args["handles"]]
        if args.get("ids") is not None:
            library = [d for d in library if d["id"] in args["ids"]]
        return paginate(library, args)

    # --- changing ------------------------------------------------------------------

    def order_cancel(self, args: dict[str, Any]) -> dict[str, Any]:
        order = self.order(gid_number(args["orderId"], "Order"))
        if order is None:
            errors = [_user_error("Order does not exist", "NOT_FOUND", "orderId")]
        elif order.id in self.cancelled:
            errors = [_user_error("Order has already been cancelled", "INVALID", "orderId")]
        elif order.fulfillments:
            msg = "Cannot cancel an order that has been fulfilled; cancel its fulfillments first"
            errors = [_user_error(msg, "INVALID", "orderId")]
        else:
            self.cancelled[order.id] = (datetime.now(UTC), args["reason"])
            job = {"id": f"gid://shopify/Job/{uuid.uuid4()}", "done": False}
            return {"job": job, "orderCancelUserErrors": []}
        return {"job": None, "orderCancelUserErrors": errors}

    def return_request(self, args: dict[str, Any]) -> dict[str, Any]:
        data = args["input"]
        order = self.order(gid_number(data["orderId"], "Order"))
        if order is None:
            error = _user_error("Order does not exist", "NOT_FOUND", "input", "orderId")
            return {"return": None, "userErrors": [error]}
        page = self.returnable({"orderId": gid("Order", order.id), "first": 250})
        left = {
            ln["fulfillmentLineItem"]["id"]: ln["quantity"]
            for rf in page.items
            for ln in rf["_lines"]
        }
        lines = data["returnLineItems"]
        errors = [] if lines else [
            _user_error("Return must have at least one line item", "BLANK", "input", "returnLineItems")
        ]  # fmt: skip
        known_reasons = {d["id"] for d in self.return_reasons({"first": 250}).items}
        for i, line in enumerate(lines):
            where = ("input", "returnLineItems", str(i))
            fli, qty = line["fulfillmentLineItemId"], line["quantity"]
            if fli not in left:
                errors.append(_user_error(
                    "Fulfillment line item is not returnable", "INVALID", *where,
                    "fulfillmentLineItemId",
                ))  # fmt: skip
            elif not 0 < qty <= left[fli]:
                errors.append(_user_error(
                    f"Quantity must be between 1 and {left[fli]}", "INVALID", *where, "quantity"
                ))  # fmt: skip
            definition = line.get("returnReasonDefinitionId")
            if definition is not None and definition not in known_reasons:
                errors.append(_user_error(
                    "Return reason definition does not exist", "NOT_FOUND", *where,
                    "returnReasonDefinitionId",
                ))  # fmt: skip
            if len(line.get("customerNote") or "") > 300:
                errors.append(_user_error(
                    "Customer note is too long (maximum is 300 characters)", "TOO_LONG", *where,
                    "customerNote",
                ))  # fmt: skip
        if errors:
            return {"return": None, "userErrors": errors}
        number = len({r["id"] for r in self.returns if r["order"] == order.id}) + 1
        ret = {
            "id": gid("Return", 6600000 + len(self.returns) + 1),
            "name": f"{order.name}-R{number}",
            "status": "REQUESTED",
            "order": order,
        }
        self.return_status[ret["id"]] = ret["status"]
        for line in lines:
            self.returns.append({
                "id": ret["id"], "name": ret["name"], "order": order.id,
                "fli": line["fulfillmentLineItemId"],
                "quantity": line["quantity"],
                "reason": line.get("returnReason") or line.get("returnReasonDefinitionId"),
                "note": line.get("customerNote"),
            })  # fmt: skip
        return {"return": ret, "userErrors": []}

    def subscription_cancel(self, args: dict[str, Any]) -> dict[str, Any]:
        sid = gid_number(args["subscriptionContractId"], "SubscriptionContract")
        contract = next((s for s in self.shop.subscriptions if s.id == sid), None)
        if contract is None:
            error = _user_error("Contract does not exist", "INVALID", "subscriptionContractId")
            return {"contract": None, "userErrors": [error]}
        status = self.subscription_status[contract.id]
        if status in {"CANCELLED", "EXPIRED"}:
            msg = f"Contract is {status.lower()} and cannot be cancelled"
            error = _user_error(msg, "CONTRACT_TERMINATED", "subscriptionContractId")
            return {"contract": None, "userErrors": [error]}
        self.subscription_status[contract.id] = "CANCELLED"
        return {"contract": contract, "userErrors": []}
