"""The GraphQL documents :class:`integrations.shopify.ShopifyClient` sends, per API version.

Page sizes are chosen to keep a query's cost well inside one Standard-plan bucket
(1000 points): an order selects at most 20 line items, 3 fulfillments, 3 tracking
numbers per fulfillment and 10 lines per fulfillment, which covers a shop's normal
orders; bigger orders are read truncated.

Every document of every supported version is validated against that version's
published schema, with no deprecated field, in ``tests/integrations/test_shopify_contract.py``
(see :mod:`integrations.shopify_versions` for what differs between versions).
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.shopify_versions import features

__all__ = ["OPTIONAL_SCOPES", "REQUIRED_SCOPES", "Documents", "documents", "granted"]

_ORDER = """
id name email processedAt cancelledAt cancelReason
displayFinancialStatus displayFulfillmentStatus
totalPriceSet { shopMoney { amount currencyCode } }
shippingAddress { formatted(withName: false) }
lineItems(first: 20) { nodes { id title quantity sku } }
fulfillments(first: 3) {
  id status displayStatus createdAt inTransitAt estimatedDeliveryAt deliveredAt
  trackingInfo(first: 3) { number company url }
  fulfillmentLineItems(first: 10) { nodes { id lineItem { id } } }
}
"""

ORDERS = f"""
query Orders($q: String!, $n: Int!) {{
  orders(first: $n, query: $q, sortKey: PROCESSED_AT, reverse: true) {{
    nodes {{ {_ORDER} }}
  }}
}}
"""

# An order as it stands now, by id: before repeating a cancellation (a run cut short
# may have done it) the runner reads whether it is cancelled already.
ORDER = f"""
query Order($id: ID!) {{
  order(id: $id) {{ {_ORDER} }}
}}
"""

_CANCEL = """
mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!,
                     $notify: Boolean, %s, $note: String) {
  orderCancel(orderId: $orderId, reason: $reason, restock: $restock,
              notifyCustomer: $notify, %s, staffNote: $note) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""
# From 2025-07 a refund is a method (original payment or store credit); before, a flag
# that every schema up to 2025-04 declares non-null.
_CANCEL_REFUND_METHOD = _CANCEL % (
    "$refund: Boolean",
    "refundMethod: {originalPaymentMethodsRefund: $refund}",
)
_CANCEL_REFUND_FLAG = _CANCEL % ("$refund: Boolean!", "refund: $refund")

RETURNABLE_FULFILLMENTS = """
query Returnable($orderId: ID!) {
  returnableFulfillments(orderId: $orderId, first: 10) {
    nodes {
      id
      fulfillment { id }
      returnableFulfillmentLineItems(first: 20) {
        nodes { quantity fulfillmentLineItem { id lineItem { id } } }
      }
    }
  }
}
"""

# The order's returns, newest first ([U] Order.returns has no sortKey; its default
# order, by creation, is not documented), to find one still in progress.
ORDER_RETURNS = """
query OrderReturns($id: ID!) {
  order(id: $id) {
    id
    returns(first: 10, reverse: true) { nodes { id status } }
  }
}
"""

RETURN_REASON_DEFINITIONS = """
query ReturnReasons($handles: [String!]) {
  returnReasonDefinitions(first: 25, handles: $handles) {
    nodes { id handle deleted }
  }
}
"""

RETURN_REQUEST = """
mutation ReturnRequest($input: ReturnRequestInput!) {
  returnRequest(input: $input) {
    return { id name status order { id } }
    userErrors { field message code }
  }
}
"""

# Customer.email is deprecated in every supported version: defaultEmailAddress replaces it.
_CONTRACT = """
id status nextBillingDate
customer { defaultEmailAddress { emailAddress } }
lines(first: 5) { nodes { title quantity } }
"""

CUSTOMER_SUBSCRIPTIONS = f"""
query CustomerSubscriptions($q: String!) {{
  customers(first: 3, query: $q) {{
    nodes {{
      defaultEmailAddress {{ emailAddress }}
      subscriptionContracts(first: 10) {{ nodes {{ {_CONTRACT} }} }}
    }}
  }}
}}
"""

SUBSCRIPTION = f"""
query Subscription($id: ID!) {{
  subscriptionContract(id: $id) {{ {_CONTRACT} }}
}}
"""

SUBSCRIPTION_CANCEL = f"""
mutation SubscriptionCancel($id: ID!) {{
  subscriptionContractCancel(subscriptionContractId: $id) {{
    contract {{ {_CONTRACT} }}
    userErrors {{ field message code }}
  }}
}}
"""

# The access scopes the documents above need (integrations_api.md 1.2), with what each is
# for. A write scope includes its read scope. `chatbot check` compares them with ACCESS.
REQUIRED_SCOPES = {
    "read_orders": "find a customer's orders (orders, order)",
    "write_orders": "cancel an unfulfilled order (orderCancel)",
    "read_returns": "see what can be returned and returns in progress",
    "write_returns": "request a return (returnRequest)",
}
OPTIONAL_SCOPES = {
    "read_all_orders": "orders older than 60 days (without it they are simply not found)",
    "read_customers": "find a customer's subscriptions by email (shops selling subscriptions)",
    "read_own_subscription_contracts": "read subscriptions (shops selling subscriptions)",
    "write_own_subscription_contracts": "cancel a subscription (shops selling subscriptions)",
}

# `chatbot check`: which shop the token opens, and the access scopes it was granted.
ACCESS = """
query Access {
  shop { name myshopifyDomain }
  currentAppInstallation { accessScopes { handle } }
}
"""


@dataclass(frozen=True)
class Documents:
    """The documents for one API version; ``return_reasons`` only where it exists."""

    version: str
    orders: str
    order: str
    order_cancel: str
    order_returns: str
    returnable_fulfillments: str
    return_request: str
    return_reasons: str | None
    customer_subscriptions: str
    subscription: str
    subscription_cancel: str
    access: str = ACCESS

    def all(self) -> dict[str, str]:
        """Every document by name (what the contract checks validate)."""
        named = {
            "orders": self.orders,
            "order": self.order,
            "orderCancel": self.order_cancel,
            "orderReturns": self.order_returns,
            "returnableFulfillments": self.returnable_fulfillments,
            "returnRequest": self.return_request,
            "customerSubscriptions": self.customer_subscriptions,
            "subscriptionContract": self.subscription,
            "subscriptionContractCancel": self.subscription_cancel,
            "access": self.access,
        }
        if self.return_reasons is not None:
            named["returnReasonDefinitions"] = self.return_reasons
        return named


def documents(version: str) -> Documents:
    """The documents to send to ``version``.

    Raises:
        ValueError: ``version`` is not supported.
    """
    f = features(version)
    return Documents(
        version=version,
        orders=ORDERS,
        order=ORDER,
        order_cancel=_CANCEL_REFUND_METHOD if f.refund_method else _CANCEL_REFUND_FLAG,
        order_returns=ORDER_RETURNS,
        returnable_fulfillments=RETURNABLE_FULFILLMENTS,
        return_request=RETURN_REQUEST,
        return_reasons=RETURN_REASON_DEFINITIONS if f.return_reason_definitions else None,
        customer_subscriptions=CUSTOMER_SUBSCRIPTIONS,
        subscription=SUBSCRIPTION,
        subscription_cancel=SUBSCRIPTION_CANCEL,
    )


def granted(scope: str, scopes: frozenset[str] | set[str]) -> bool:
    """Whether ``scopes`` include ``scope`` (a write scope includes its read scope)."""
    return scope in scopes or (
        scope.startswith("read_") and "write_" + scope.removeprefix("read_") in scopes
    )
