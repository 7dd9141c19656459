"""The part of the Admin GraphQL schema the Shopify sandbox serves, as resolvers
over :class:`~integrations.sandbox.shopify.ShopifySimulator` state."""

from __future__ import annotations

import re
from datetime import UTC
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from integrations.sandbox.demo import DemoOrder
from integrations.sandbox.graphql import FieldDef, add_connection, paginate

if TYPE_CHECKING:
    from integrations.sandbox.shopify import ShopifySimulator

__all__ = ["build_schema", "gid", "gid_number", "iso"]


def iso(when: Any) -> str | None:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def gid(kind: str, id_: int) -> str:
    return f"gid://shopify/{kind}/{id_}"


def gid_number(value: Any, kind: str) -> int | None:
    m = re.fullmatch(rf"gid://shopify/{kind}/(\d+)", str(value or ""))
    return int(m.group(1)) if m else None


def build_schema(sim: ShopifySimulator) -> dict[str, dict[str, FieldDef]]:
    F = FieldDef
    s = "String"
    customers = {c.email: c for c in sim.shop.customers}

    def money(amount: Decimal, currency: str) -> dict[str, Any]:
        m = {"amount": f"{amount:.2f}", "currencyCode": currency}
        return {"shopMoney": m, "presentmentMoney": m}

    def total(o: DemoOrder) -> Decimal:
        return sum((Decimal(li.price) * li.quantity for li in o.line_items), Decimal(0))

    def fulfillment_status(o: DemoOrder) -> str:
        shipped = {i for f in o.fulfillments for i in f.line_item_ids}
        if not shipped:
            return "UNFULFILLED"
        done = all(li.id in shipped for li in o.line_items)
        return "FULFILLED" if done else "PARTIALLY_FULFILLED"

    def address(o: DemoOrder) -> dict[str, Any] | None:
        parts = [p.strip() for p in o.shipping_address.split(",") if p.strip()]
        return (
            {"formatted": parts, "address1": parts[0], "countryCodeV2": parts[-1]}
            if parts
            else None
        )

    def cancelled(o: DemoOrder, i: int) -> Any:
        c = sim.cancelled.get(o.id)
        return (iso(c[0]) if i == 0 else c[1]) if c else None

    def order_returns(o: DemoOrder, a: dict[str, Any], _: Any) -> Any:
        ids = list(dict.fromkeys(r["id"] for r in sim.returns if r["order"] == o.id))
        nodes = [
            {"id": rid, "name": f"{o.name}-R{n}", "status": "REQUESTED", "order": o,
             "totalQuantity": sum(r["quantity"] for r in sim.returns if r["id"] == rid)}
            for n, rid in enumerate(ids, 1)
        ]  # fmt: skip
        return paginate(nodes, a)

    def contract(_: Any, a: dict[str, Any], __: Any) -> Any:
        wanted = gid_number(a.get("id"), "SubscriptionContract")
        return next((c for c in sim.shop.subscriptions if c.id == wanted), None)

    def contracts(c: Any, a: dict[str, Any], _: Any) -> Any:
        return paginate([x for x in sim.shop.subscriptions if x.customer_email == c.email], a)

    page = lambda get: lambda o, a, _: paginate(get(o), a)  # noqa: E731
    error = {"field": F("[String]"), "message": F("String"), "code": F("String")}
    schema: dict[str, dict[str, FieldDef]] = {
        "QueryRoot": {
            "orders": F(
                "OrderConnection",
                sim._orders,
                ("first", "after", "query", "sortKey", "reverse"),
            ),
            "order": F(
                "Order", lambda _, a, __: sim._order(gid_number(a.get("id"), "Order")), ("id",)
            ),
            "customers": F("CustomerConnection", sim._customers, ("first", "after", "query")),
            "subscriptionContract": F("SubscriptionContract", contract, ("id",)),
            "returnableFulfillments": F(
                "ReturnableFulfillmentConnection",
                sim._returnable,
                ("orderId", "first", "after"),
            ),
        },
        "Mutation": {
            "orderCancel": F(
                "OrderCancelPayload",
                sim._order_cancel,
                (
                    "orderId",
                    "reason",
                    "restock",
                    "notifyCustomer",
                    "refund",
                    "refundMethod",
                    "staffNote",
                ),
            ),
            "returnRequest": F("ReturnRequestPayload", sim._return_request, ("input",)),
            "subscriptionContractCancel": F(
                "SubscriptionContractCancelPayload",
                sim._subscription_cancel,
                ("subscriptionContractId",),
            ),
        },
        "Order": {
            "id": F("ID", lambda o, a, _: gid("Order", o.id)),
            "name": F(s, lambda o, a, _: o.name),
            "email": F(s, lambda o, a, _: o.customer_email),
            "createdAt": F("DateTime", lambda o, a, _: iso(o.processed_at)),
            "processedAt": F("DateTime", lambda o, a, _: iso(o.processed_at)),
            "cancelledAt": F("DateTime", lambda o, a, _: cancelled(o, 0)),
            "cancelReason": F("OrderCancelReason", lambda o, a, _: cancelled(o, 1)),
            "closed": F("Boolean", lambda o, a, _: o.id in sim.cancelled),
            "currencyCode": F("CurrencyCode", lambda o, a, _: o.currency),
            "displayFinancialStatus": F(s, lambda o, a, _: o.financial_status),
            "displayFulfillmentStatus": F(s, lambda o, a, _: fulfillment_status(o)),
            "totalPriceSet": F("MoneyBag", lambda o, a, _: money(total(o), o.currency)),
            "shippingAddress": F("MailingAddress", lambda o, a, _: address(o)),
            "customer": F("Customer", lambda o, a, _: customers.get(o.customer_email)),
            "lineItems": F(
                "LineItemConnection", page(lambda o: list(o.line_items)), ("first", "after")
            ),
            "fulfillments": F(
                "[Fulfillment]",
                lambda o, a, _: sim._fulfillments(o)[: a.get("first") or None],
                ("first",),
            ),
            "returns": F("ReturnConnection", order_returns, ("first", "after", "query")),
        },
        "MoneyBag": {"shopMoney": F("MoneyV2"), "presentmentMoney": F("MoneyV2")},
        "MoneyV2": {"amount": F("Decimal"), "currencyCode": F("CurrencyCode")},
        "MailingAddress": {
            "formatted": F("[String]", None, ("withName", "withCompany")),
            "address1": F(s),
            "countryCodeV2": F("CountryCode"),
        },
        "LineItem": {
            "id": F("ID", lambda li, a, _: gid("LineItem", li.id)),
            "title": F(s, lambda li, a, _: li.title),
            "name": F(s, lambda li, a, _: li.title),
            "quantity": F("Int", lambda li, a, _: li.quantity),
            "sku": F(s, lambda li, a, _: li.sku),
            "originalUnitPriceSet": F("MoneyBag", lambda li, a, _: money(Decimal(li.price), "USD")),
        },
        "Fulfillment": {
            **{
                k: F(s)
                for k in (
                    "id",
                    "status",
                    "displayStatus",
                    "createdAt",
                    "updatedAt",
                    "inTransitAt",
                    "estimatedDeliveryAt",
                    "deliveredAt",
                )
            },
            "trackingInfo": F(
                "[FulfillmentTrackingInfo]",
                lambda f, a, _: f["_tracking"][: a.get("first") or None],
                ("first",),
            ),
            "fulfillmentLineItems": F(
                "FulfillmentLineItemConnection", page(lambda f: f["_lines"]), ("first", "after")
            ),
            "order": F("Order", lambda f, a, _: f["_order"]),
        },
        "FulfillmentTrackingInfo": {"number": F(s), "company": F(s), "url": F("URL")},
        "FulfillmentLineItem": {"id": F("ID"), "quantity": F("Int"), "lineItem": F("LineItem")},
        "Customer": {
            "id": F("ID", lambda c, a, _: gid("Customer", c.id)),
            "email": F(s, lambda c, a, _: c.email),
            "firstName": F(s, lambda c, a, _: c.first_name),
            "lastName": F(s, lambda c, a, _: c.last_name),
            "displayName": F(s, lambda c, a, _: f"{c.first_name} {c.last_name}"),
            "subscriptionContracts": F(
                "SubscriptionContractConnection", contracts, ("first", "after")
            ),
        },
        "SubscriptionContract": {
            "id": F("ID", lambda c, a, _: gid("SubscriptionContract", c.id)),
            "status": F(s, lambda c, a, _: sim.subscription_status[c.id]),
            "nextBillingDate": F(
                "DateTime",
                lambda c, a, _: (
                    None
                    if sim.subscription_status[c.id] == "CANCELLED"
                    else iso(c.next_billing_date)
                ),
            ),
            "customer": F("Customer", lambda c, a, _: customers.get(c.customer_email)),
            "lines": F(
                "SubscriptionLineConnection",
                page(
                    lambda c: [
                        {"id": gid("SubscriptionLine", c.id), "title": c.title, "quantity": 1}
                    ]
                ),
                ("first", "after"),
            ),
        },
        "SubscriptionLine": {"id": F("ID"), "title": F(s), "quantity": F("Int")},
        "ReturnableFulfillment": {
            "id": F("ID"),
            "fulfillment": F("Fulfillment"),
            "returnableFulfillmentLineItems": F(
                "ReturnableFulfillmentLineItemConnection",
                page(lambda r: r["_lines"]),
                ("first", "after"),
            ),
        },
        "ReturnableFulfillmentLineItem": {
            "quantity": F("Int"),
            "fulfillmentLineItem": F("FulfillmentLineItem"),
        },
        "Return": {
            "id": F("ID"),
            "name": F(s),
            "status": F(s),
            "totalQuantity": F("Int"),
            "order": F("Order"),
        },
        "Job": {"id": F("ID"), "done": F("Boolean")},
        "UserError": error,
        "OrderCancelPayload": {
            "job": F("Job"),
            "orderCancelUserErrors": F("[UserError]"),
            "userErrors": F("[UserError]"),
        },
        "ReturnRequestPayload": {"return": F("Return"), "userErrors": F("[UserError]")},
        "SubscriptionContractCancelPayload": {
            "contract": F("SubscriptionContract"),
            "userErrors": F("[UserError]"),
        },
    }
    for node in (
        "Order",
        "Customer",
        "LineItem",
        "FulfillmentLineItem",
        "ReturnableFulfillment",
        "ReturnableFulfillmentLineItem",
        "SubscriptionContract",
        "SubscriptionLine",
        "Return",
    ):
        add_connection(schema, node)
    return schema
