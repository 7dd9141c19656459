"""The Shopify Admin GraphQL API, simulated over the demo shop.

Serves ``POST /admin/api/{YYYY-MM|unstable}/graphql.json`` with the
``X-Shopify-Access-Token`` header. Answers the subset of the schema our client
uses (orders, order with its returns, customers, subscriptionContract,
returnableFulfillments; orderCancel, returnRequest, subscriptionContractCancel) by really parsing the document: an unknown field or
argument is a GraphQL error as on Shopify, never a silent null. Every answer
carries ``extensions.cost``; a leaky bucket (size and restore rate configurable,
Standard-plan figures by default) answers HTTP 200 + ``THROTTLED`` when empty.

Choices where Shopify's behaviour is not documented ([U] in the reference):
unknown search fields in ``query:`` are ignored (all records match) with an
``extensions.search`` warning, as Shopify does; ``orderCancel`` accepts both
``refund`` and ``refundMethod``; a query priced above ``min(1000, bucket_size)``
is refused with ``MAX_COST_EXCEEDED``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from integrations.models import TrackingStatus
from integrations.sandbox.base import Faults, json_response
from integrations.sandbox.demo import DemoOrder, DemoShop, build_demo_shop
from integrations.sandbox.graphql import (
    GraphQLError,
    ValidationFailed,
    execute,
    paginate,
    prepare,
)
from integrations.sandbox.shopify_schema import build_schema, gid, gid_number, iso

__all__ = ["CARRIER_COMPANIES", "ShopifySimulator", "tracking_url"]

_PATH = re.compile(r"/admin/api/(\d{4}-\d{2}|unstable)/graphql\.json")
_BAD_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
CARRIER_COMPANIES = {"usps": "USPS", "fedex": "FedEx", "ups": "UPS", "dhl": "DHL Express"}
_TRACKING_URLS = {
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "ups": "https://www.ups.com/track?tracknum={}",
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={}",
}
_CANCEL_REASONS = {"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"}
_RETURN_REASONS = {
    "UNKNOWN",
    "DEFECTIVE",
    "NOT_AS_DESCRIBED",
    "WRONG_ITEM",
    "UNWANTED",
    "SIZE_TOO_SMALL",
    "SIZE_TOO_LARGE",
    "STYLE",
    "COLOR",
    "OTHER",
}
_SEARCH_TERM = re.compile(r'(?:(\w+):)?("(?:[^"\\]|\\.)*"|\S+)')


def tracking_url(carrier: str, number: str) -> str:
    """The carrier's public tracking page, as Shopify links it."""
    return _TRACKING_URLS[carrier].format(number)


def _fli_id(fulfillment_id: int, line_item_id: int) -> int:
    return fulfillment_id * 100_000 + line_item_id


def _user_error(message: str, code: str, *field: str) -> dict[str, Any]:
    return {"field": list(field) or None, "message": message, "code": code}


class ShopifySimulator:
    """A stateful fake of the Admin GraphQL API; cancellations, returns and
    subscription changes are visible to later queries."""

    def __init__(
        self,
        shop: DemoShop | None = None,
        *,
        access_token: str = "demo",
        bucket_size: float = 1000.0,
        restore_rate: float = 50.0,
        clock: Callable[[], float] = time.monotonic,
        token_ttl: float = 86399.0,
    ) -> None:
        self.shop = shop or build_demo_shop()
        self.access_token = access_token
        self.bucket_size = float(bucket_size)
        self.restore_rate = float(restore_rate)
        self.faults = Faults()
        self._clock = clock
        self._available = self.bucket_size
        self._last = clock()
        self.cancelled: dict[int, tuple[datetime, str]] = {}
        self.returns: list[dict[str, Any]] = []
        self.subscription_status = {s.id: s.status for s in self.shop.subscriptions}
        self.requests = 0
        self.token_ttl = token_ttl
        self.issued: dict[str, float] = {}  # client-credentials token -> expiry (clock)
        self._search_warnings: list[dict[str, Any]] = []
        self._shipments = {s.tracking_number: s for s in self.shop.shipments}
        self._schema = build_schema(self)

    # --- HTTP ------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if request.url.path == "/admin/oauth/access_token" and request.method == "POST":
            return self._issue_token(request)
        m = _PATH.fullmatch(request.url.path)
        if m is None:
            return json_response(404, {"errors": "Not Found"})
        headers = {"X-Request-Id": str(uuid.uuid4()), "X-Shopify-API-Version": m.group(1)}
        if not self._token_ok(request.headers.get("x-shopify-access-token")):
            return json_response(401, {"errors": _BAD_TOKEN}, headers)
        if request.method != "POST":
            return json_response(405, {"errors": "Method Not Allowed"}, headers)
        try:
            body = json.loads(request.content)
            query, variables = body["query"], body.get("variables") or {}
            if not isinstance(query, str) or not isinstance(variables, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            missing = {"errors": {"query": "Required parameter missing or invalid"}}
            return json_response(400, missing, headers)
        return json_response(200, self._graphql(query, variables, body), headers)

    def _issue_token(self, request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode(errors="replace")))
        if form.get("grant_type") != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type"})
        if not form.get("client_id") or form.get("client_secret") != self.access_token:
            return json_response(400, {"error": "invalid_client"})
        token = f"shpat_{uuid.uuid4().hex}"
        self.issued[token] = self._clock() + self.token_ttl
        scope = "read_orders,write_orders,write_returns,read_own_subscription_contracts"
        body = {"access_token": token, "scope": scope, "expires_in": int(self.token_ttl)}
        return json_response(200, body)

    def _token_ok(self, token: str | None) -> bool:
        if token is None:
            return False
        if token == self.access_token:
            return True
        return self.issued.get(token, float("-inf")) > self._clock()

    def _graphql(self, query: str, variables: dict[str, Any], body: dict) -> dict[str, Any]:
        try:
            prep = prepare(self._schema, query, variables, body.get("operationName"))
        except GraphQLError as exc:
            return {"errors": [exc.to_dict()]}
        except ValidationFailed as exc:
            return {"errors": [e.to_dict() for e in exc.errors]}
        available = self._refill()
        limit = min(1000.0, self.bucket_size)
        if prep.cost > limit:
            msg = f"Query cost is {prep.cost}, which exceeds the single query max cost limit ({limit:g})."
            return self._priced(
                {
                    "errors": [
                        {
                            "message": msg,
                            "extensions": {
                                "code": "MAX_COST_EXCEEDED",
                                "cost": prep.cost,
                                "maxCost": limit,
                            },
                        }
                    ]
                },
                prep.cost,
                None,
            )
        if prep.cost > available:
            doc = "https://shopify.dev/api/usage/rate-limits"
            throttled = {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": doc},
            }
            return self._priced({"errors": [throttled]}, prep.cost, None)
        self._search_warnings = []
        data, errors = execute(self._schema, prep, None, self)
        self._available = max(0.0, available - prep.actual_cost)
        out: dict[str, Any] = {"data": data}
        if errors:
            out["errors"] = [e.to_dict() for e in errors]
        if self._search_warnings:
            out["extensions"] = {"search": self._search_warnings}
        return self._priced(out, prep.cost, prep.actual_cost)

    def _refill(self) -> float:
        now = self._clock()
        self._available = min(
            self.bucket_size, self._available + (now - self._last) * self.restore_rate
        )
        self._last = now
        return self._available

    def _priced(self, out: dict[str, Any], requested: int, actual: int | None) -> dict[str, Any]:
        status = {
            "maximumAvailable": self.bucket_size,
            "currentlyAvailable": round(self._available, 1),
            "restoreRate": self.restore_rate,
        }
        cost = {"requestedQueryCost": requested, "actualQueryCost": actual}
        out.setdefault("extensions", {})["cost"] = cost | {"throttleStatus": status}
        return out

    # --- data ------------------------------------------------------------------

    def _order(self, order_id: int | None) -> DemoOrder | None:
        return next((o for o in self.shop.orders if o.id == order_id), None)

    def _search(self, query: str | None, records: list[Any], fields: dict[str, Callable]) -> list:
        for name, raw in _SEARCH_TERM.findall(query or ""):
            value = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
            match = fields.get(name.lower() if name else "default")
            if match is None:
                warning = {"field": name, "message": "Invalid search field for this query."}
                self._search_warnings.append({"query": query, "warnings": [warning]})
                continue
            records = [r for r in records if match(r, value.lower())]
        return records

    def _orders(self, _: Any, args: dict[str, Any], __: Any) -> Any:
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

    def _customers(self, _: Any, args: dict[str, Any], __: Any) -> Any:
        matchers = {"email": lambda c, v: c.email.lower() == v}
        found = self._search(args.get("query"), list(self.shop.customers), matchers)
        return paginate(found, args)

    def _fulfillment(self, order: DemoOrder, f: Any) -> dict[str, Any]:
        ship = self._shipments.get(f.tracking_number)
        moving = (
            [at for at, st, *_ in ship.events if st != TrackingStatus.LABEL_CREATED] if ship else []
        )
        return {
            "id": gid("Fulfillment", f.id),
            "status": "SUCCESS",
            "displayStatus": f.display_status,
            "createdAt": iso(f.created_at),
            "updatedAt": iso(ship.events[0][0] if ship else f.created_at),
            "inTransitAt": iso(min(moving)) if moving else None,
            "estimatedDeliveryAt": iso(ship.estimated_delivery) if ship else None,
            "deliveredAt": iso(ship.delivered_at) if ship else None,
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
            "_order": order,
            "_delivered": f.display_status == "DELIVERED",
        }

    def _fulfillments(self, order: DemoOrder) -> list[dict[str, Any]]:
        return [self._fulfillment(order, f) for f in order.fulfillments]

    def _returnable(self, _: Any, args: dict[str, Any], __: Any) -> Any:
        order = self._order(gid_number(args.get("orderId"), "Order"))
        if order is None:
            raise GraphQLError("Order does not exist", code="NOT_FOUND")
        nodes = []
        for f in self._fulfillments(order):
            lines = []
            for line in f["_lines"]:
                left = line["quantity"] - sum(
                    r["quantity"] for r in self.returns if r["fli"] == line["id"]
                )
                if left > 0:
                    lines.append({"quantity": left, "fulfillmentLineItem": line})
            if f["_delivered"] and lines and order.id not in self.cancelled:
                rid = gid("ReturnableFulfillment", gid_number(f["id"], "Fulfillment") or 0)
                nodes.append({"id": rid, "fulfillment": f, "_lines": lines})
        return paginate(nodes, args)

    # --- mutations -------------------------------------------------------------

    def _order_cancel(self, _: Any, args: dict[str, Any], __: Any) -> dict[str, Any]:
        missing = [a for a in ("orderId", "reason", "restock") if a not in args]
        if missing:
            raise GraphQLError(
                f"Field 'orderCancel' is missing required arguments: {', '.join(missing)}",
                code="missingRequiredArguments",
            )
        if args["reason"] not in _CANCEL_REASONS:
            raise GraphQLError(
                f"Argument 'reason' on Field 'orderCancel' has an invalid value "
                f"({args['reason']}). Expected type 'OrderCancelReason!'.",
                code="argumentLiteralsIncompatible",
            )
        order = self._order(gid_number(args["orderId"], "Order"))
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
            return {"job": job, "orderCancelUserErrors": [], "userErrors": []}
        return {"job": None, "orderCancelUserErrors": errors, "userErrors": errors}

    def _return_request(self, _: Any, args: dict[str, Any], __: Any) -> dict[str, Any]:
        data = args.get("input") or {}
        order = self._order(gid_number(data.get("orderId"), "Order"))
        if order is None:
            return _payload(
                "return", [_user_error("Order does not exist", "NOT_FOUND", "input", "orderId")]
            )
        page = self._returnable(None, {"orderId": gid("Order", order.id), "first": 250}, None)
        left = {
            ln["fulfillmentLineItem"]["id"]: ln["quantity"]
            for rf in page.items
            for ln in rf["_lines"]
        }
        lines = data.get("returnLineItems") or []
        errors = (
            []
            if lines
            else [
                _user_error(
                    "Return must have at least one line item", "BLANK", "input", "returnLineItems"
                )
            ]
        )
        for i, line in enumerate(lines):
            where = ("input", "returnLineItems", str(i))
            fli, qty = line.get("fulfillmentLineItemId"), line.get("quantity")
            if fli not in left:
                errors.append(
                    _user_error(
                        "Fulfillment line item is not returnable",
                        "INVALID",
                        *where,
                        "fulfillmentLineItemId",
                    )
                )
            elif not isinstance(qty, int) or not 0 < qty <= left[fli]:
                errors.append(
                    _user_error(
                        f"Quantity must be between 1 and {left[fli]}", "INVALID", *where, "quantity"
                    )
                )
            if line.get("returnReason") not in _RETURN_REASONS:
                errors.append(
                    _user_error("Return reason is invalid", "INVALID", *where, "returnReason")
                )
            if len(line.get("customerNote") or "") > 300:
                errors.append(
                    _user_error(
                        "Customer note is too long (maximum is 300 characters)",
                        "TOO_LONG",
                        *where,
                        "customerNote",
                    )
                )
        if errors:
            return _payload("return", errors)
        number = len({r["id"] for r in self.returns if r["order"] == order.id}) + 1
        ret = {
            "id": gid("Return", 6600000 + len(self.returns) + 1),
            "name": f"{order.name}-R{number}",
            "status": "REQUESTED",
            "order": order,
            "totalQuantity": sum(line["quantity"] for line in lines),
        }
        for line in lines:
            self.returns.append(
                {
                    "id": ret["id"],
                    "order": order.id,
                    "fli": line["fulfillmentLineItemId"],
                    "quantity": line["quantity"],
                    "reason": line["returnReason"],
                    "note": line.get("customerNote"),
                }
            )
        return {"return": ret, "userErrors": []}

    def _subscription_cancel(self, _: Any, args: dict[str, Any], __: Any) -> dict[str, Any]:
        sid = gid_number(args.get("subscriptionContractId"), "SubscriptionContract")
        contract = next((s for s in self.shop.subscriptions if s.id == sid), None)
        if contract is None:
            err = _user_error(
                "Contract does not exist", "CONTRACT_NOT_FOUND", "subscriptionContractId"
            )
            return _payload("contract", [err])
        if self.subscription_status[contract.id] in {"CANCELLED", "EXPIRED"}:
            msg = f"Contract is {self.subscription_status[contract.id].lower()} and cannot be cancelled"
            return _payload("contract", [_user_error(msg, "INVALID", "subscriptionContractId")])
        self.subscription_status[contract.id] = "CANCELLED"
        return {"contract": contract, "userErrors": []}


def _payload(key: str, errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: None, "userErrors": errors}
