"""The GraphQL documents :class:`integrations.shopify.ShopifyClient` sends.

Page sizes are chosen to keep a query's cost well inside one Standard-plan bucket
(1000 points): an order selects at most 20 line items, 3 fulfillments, 3 tracking
numbers per fulfillment and 10 lines per fulfillment, which covers a shop's normal
orders; bigger orders are read truncated.
"""

from __future__ import annotations

__all__ = [
    "CUSTOMER_SUBSCRIPTIONS",
    "ORDER",
    "ORDERS",
    "ORDER_CANCEL",
    "ORDER_CANCEL_LEGACY",
    "ORDER_RETURNS",
    "RETURNABLE_FULFILLMENTS",
    "RETURN_REQUEST",
    "SUBSCRIPTION",
    "SUBSCRIPTION_CANCEL",
]

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

ORDER = f"""
query Order($id: ID!) {{
  order(id: $id) {{ {_ORDER} }}
}}
"""

_CANCEL = """
mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!,
                     $notify: Boolean, $refund: Boolean, $note: String) {
  orderCancel(orderId: $orderId, reason: $reason, restock: $restock,
              notifyCustomer: $notify, %s, staffNote: $note) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""
# API versions from 2025-07 take ``refundMethod``; older ones only ``refund``.
ORDER_CANCEL = _CANCEL % "refundMethod: {originalPaymentMethodsRefund: $refund}"
ORDER_CANCEL_LEGACY = _CANCEL % "refund: $refund"

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

ORDER_RETURNS = """
query OrderReturns($id: ID!) {
  order(id: $id) {
    id
    returns(first: 10) { nodes { id name status } }
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

_CONTRACT = """
id status nextBillingDate
customer { email }
lines(first: 5) { nodes { title quantity } }
"""

CUSTOMER_SUBSCRIPTIONS = f"""
query CustomerSubscriptions($q: String!) {{
  customers(first: 3, query: $q) {{
    nodes {{ email subscriptionContracts(first: 10) {{ nodes {{ {_CONTRACT} }} }} }}
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
