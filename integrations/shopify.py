"""Shopify Admin GraphQL client: find a customer's orders, cancel, request returns,
list and cancel subscription contracts; and read an order, its returns in progress or
a contract by id, which the runner does before repeating an action a crash may have
done already (``chatserver.runner``).

Errors, beyond :mod:`integrations.errors`::

    APIStatusError
     ├── ShopifyQueryError    top-level GraphQL ``errors`` (unknown field, bad argument...)
     └── ShopifyUserError     a mutation refused for a business reason (``userErrors``)

``THROTTLED`` (HTTP 200 with ``errors[].extensions.code``) becomes
:class:`~integrations.errors.RateLimited` with ``retry_after`` =
(requestedQueryCost − currentlyAvailable) / restoreRate, so ApiTransport waits and
retries it like a 429, within its cap. Queries are retried on 5xx; mutations are
not once sent (a throttled mutation was never run, so it is retried).

The API version is one of :data:`~integrations.shopify_versions.SUPPORTED_VERSIONS`,
and the documents sent are that version's (:func:`integrations.shopify_queries.documents`).

Choices where the reference is unconfirmed ([U]):

* search values are quoted (``email:"a@b.c"``, backslash-escaped), and because
  Shopify's search is token-based and ignores unknown filters, every result is
  checked again here (exact email, exact order name) before it is returned;
* from 2026-01 a return's reason is a ``ReturnReasonDefinition``: the client looks up
  the definitions whose handles match the reason asked for (``REASON_HANDLES``; the
  handles of Shopify's library are not published as a list) and sends the first one
  that is not deleted, or no reason at all (the field is optional) when none matches;
* an order's returns are read ``reverse: true`` as newest first: ``Order.returns`` has
  no sort key and its default order (by creation) is not documented;
* when ``client_id``/``client_secret`` are given instead of an access token, a token
  is fetched with the client-credentials grant and refreshed before expiry or on 401.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from integrations import shopify_records as records
from integrations.errors import APIStatusError, BadResponse, IntegrationError, RateLimited
from integrations.http import ApiTransport, Auth, ClientCredentials, StaticAuth
from integrations.models import Order, ReturnRequest, ShopAccess, Subscription
from integrations.shopify_queries import documents
from integrations.shopify_records import field, nullable, shaped, throttle_wait
from integrations.shopify_versions import (
    DEFAULT_VERSION,
    REASON_HANDLES,
    RETURN_REASONS,
    check_api_version,
    features,
)

__all__ = ["ShopifyClient", "ShopifyQueryError", "ShopifyUserError", "UserError"]

VENDOR = "shopify"
log = logging.getLogger(__name__)
_NAME = re.compile(r"#?[A-Za-z0-9][A-Za-z0-9_-]{0,40}")
_CANCEL_REASONS = {"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"}
_NOTE_LIMIT = 300  # Shopify's customerNote maximum
_IN_PROGRESS = ("REQUESTED", "OPEN")  # ReturnStatus values of a return not yet settled


@dataclass(frozen=True)
class UserError:
    message: str
    code: str | None = None
    field: tuple[str, ...] = ()


class ShopifyQueryError(APIStatusError):
    """Shopify refused the GraphQL document itself; ``codes`` holds extensions.code values."""

    def __init__(self, message: str, *, codes: tuple[str, ...] = (), **kw: Any) -> None:
        super().__init__(message, **kw)
        self.codes = codes


class ShopifyUserError(APIStatusError):
    """A mutation was refused for a business reason (already cancelled, not returnable...)."""

    def __init__(self, message: str, *, errors: tuple[UserError, ...] = (), **kw: Any) -> None:
        super().__init__(message, **kw)
        self.errors = errors


class ShopifyClient:
    """Speaks the Admin GraphQL API of one shop.

    Args:
        http: the shared client.
        base_url: ``https://{shop}.myshopify.com`` (or the sandbox mount).
        access_token: a static Admin API token (``X-Shopify-Access-Token``).
        client_id, client_secret: used instead of ``access_token`` when it is empty.
        api_version: one of :data:`~integrations.shopify_versions.SUPPORTED_VERSIONS`.
        clock: for the client-credentials token cache.
        transport_options: passed to :class:`~integrations.http.ApiTransport`.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        access_token: str = "",
        api_version: str = DEFAULT_VERSION,
        client_id: str = "",
        client_secret: str = "",
        clock: Callable[[], float] = time.monotonic,
        **transport_options: Any,
    ) -> None:
        self._transport = ApiTransport(http, vendor=VENDOR, base_url=base_url, **transport_options)
        self.api_version = check_api_version(api_version)
        self._docs = documents(api_version)
        self._path = f"/admin/api/{api_version}/graphql.json"
        self._served_other: str | None = None
        self._reason_ids: dict[str, str | None] = {}
        self._auth: Auth
        if access_token:
            self._auth = StaticAuth({"X-Shopify-Access-Token": access_token})
        elif client_id and client_secret:
            # Shopify's client-credentials tokens live 24 hours (expires_in 86399).
            self._auth = ClientCredentials(
                self._transport, "/admin/oauth/access_token", client_id=client_id,
                client_secret=client_secret, header="X-Shopify-Access-Token", scheme="",
                default_expires_in=86399.0, clock=clock,
            )  # fmt: skip
        else:
            raise ValueError("Shopify needs an access token or a client id and secret")

    # --- orders ----------------------------------------------------------------

    async def latest_orders(self, email: str, limit: int = 5) -> list[Order]:
        """The customer's orders, newest first (at most ``limit``, 1..10)."""
        if not 1 <= limit <= 10:
            raise ValueError("limit must be between 1 and 10")
        wanted = email.strip().lower()
        if "@" not in wanted:
            return []
        data = await self._query(self._docs.orders, {"q": _term("email", wanted), "n": limit})
        orders = [
            o
            for o in records.nodes(data, "orders", records.order)
            if (o.email or "").lower() == wanted
        ]
        return sorted(orders, key=lambda o: o.processed_at, reverse=True)

    async def order_by_name(self, name: str, email: str | None = None) -> Order | None:
        """The order called ``name`` (``#1001`` or ``1001``), or None.

        With ``email``, an order placed with another address is also None, exactly
        like a missing order, so a caller cannot probe other customers' orders.
        """
        wanted = name.strip()
        if not _NAME.fullmatch(wanted):
            return None
        if wanted.isdigit():
            wanted = f"#{wanted}"
        data = await self._query(self._docs.orders, {"q": _term("name", wanted), "n": 3})
        found = next(
            (
                o
                for o in records.nodes(data, "orders", records.order)
                if o.name.lower() == wanted.lower()
            ),
            None,
        )
        if found is None or email is None:
            return found
        return found if (found.email or "").lower() == email.strip().lower() else None

    async def order(self, order_id: str) -> Order | None:
        """The order with this id (``Order.id``) as it stands now, or None."""
        data = await self._query(self._docs.order, {"id": _gid("Order", order_id)})
        node = nullable(data, "order")
        return None if node is None else shaped(lambda: records.order(node))

    async def cancel_order(
        self,
        order_id: str,
        reason: str = "CUSTOMER",
        notify_customer: bool = True,
        refund: bool = True,
        staff_note: str | None = None,
        *,
        restock: bool = True,
    ) -> None:
        """Ask Shopify to cancel the order; returns once the cancel job is accepted.

        Raises:
            ShopifyUserError: Shopify refused (already cancelled, fulfilled...).
        """
        reason = reason.upper()
        if reason not in _CANCEL_REASONS:
            raise ValueError(f"unknown cancel reason {reason!r}")
        variables = {
            "orderId": _gid("Order", order_id),
            "reason": reason,
            "restock": restock,
            "notify": notify_customer,
            "refund": refund,
            "note": staff_note,
        }
        data = await self._mutate(self._docs.order_cancel, variables)
        payload = field(data, "orderCancel", dict)
        self._raise_user_errors(
            payload.get("orderCancelUserErrors") or payload.get("userErrors"), "order not cancelled"
        )
        job = payload.get("job")
        if not isinstance(job, dict) or not job.get("id"):
            raise BadResponse("orderCancel returned neither a job nor errors", vendor=VENDOR)

    # --- returns ---------------------------------------------------------------

    async def request_return(
        self,
        order_id: str,
        items: Iterable[tuple[str, int]],
        reason: str = "OTHER",
        note: str | None = None,
    ) -> ReturnRequest:
        """Request a return (status REQUESTED, for the merchant to approve).

        Args:
            items: ``(fulfillment line item id or line item id, quantity)`` pairs.
            reason: a ReturnReason (WRONG_ITEM, DEFECTIVE, OTHER...); from 2026-01 sent
                as the matching ReturnReasonDefinition (see the module docstring).
            note: the customer's words, cut to Shopify's 300 characters.

        Raises:
            ShopifyUserError: an item is not returnable (not delivered, already
                returned, not in this order) or Shopify refused the request.
        """
        reason = reason.upper()
        if reason not in RETURN_REASONS:
            raise ValueError(f"unknown return reason {reason!r}")
        order_gid = _gid("Order", order_id)
        data = await self._query(self._docs.returnable_fulfillments, {"orderId": order_gid})
        returnable = shaped(lambda: records.returnable_lines(data))
        lines = []
        for item_id, quantity in items:
            match = next((r for r in returnable if item_id in (r[0], r[1])), None)
            if match is None:
                msg = f"{item_id} is not returnable (not delivered, already returned, not ours)"
                error = UserError(msg, "NOT_RETURNABLE", ("returnLineItems",))
                raise ShopifyUserError(msg, errors=(error,), vendor=VENDOR)
            line: dict[str, Any] = {"fulfillmentLineItemId": match[0], "quantity": quantity}
            if not features(self.api_version).return_reason_definitions:
                line["returnReason"] = reason
            elif (definition := await self._reason_definition(reason)) is not None:
                line["returnReasonDefinitionId"] = definition
            if note:
                line["customerNote"] = note[:_NOTE_LIMIT]
            lines.append(line)
        if not lines:
            raise ValueError("a return needs at least one item")
        variables = {"input": {"orderId": order_gid, "returnLineItems": lines}}
        payload = field(
            await self._mutate(self._docs.return_request, variables), "returnRequest", dict
        )
        self._raise_user_errors(payload.get("userErrors"), "return not requested")
        ret = field(payload, "return", dict)
        return shaped(lambda: records.return_request(ret, order_gid))

    async def open_returns(self, order_id: str) -> list[ReturnRequest]:
        """The order's returns still in progress (REQUESTED or OPEN), newest first
        (of its ten newest returns); none for an unknown order."""
        data = await self._query(self._docs.order_returns, {"id": _gid("Order", order_id)})
        node = nullable(data, "order")
        if node is None:
            return []
        return [r for r in shaped(lambda: records.returns(node)) if r.status in _IN_PROGRESS]

    # --- subscriptions ---------------------------------------------------------

    async def subscriptions(self, email: str) -> list[Subscription]:
        """The subscription contracts of the customer with this email."""
        wanted = email.strip().lower()
        if "@" not in wanted:
            return []
        data = await self._query(self._docs.customer_subscriptions, {"q": _term("email", wanted)})
        out = []
        for customer in field(field(data, "customers", dict), "nodes", list):
            if str(records.email_of(customer) or "").lower() != wanted:
                continue
            contracts = field(field(customer, "subscriptionContracts", dict), "nodes", list)
            out.extend(shaped(lambda c=c: records.subscription(c)) for c in contracts)
        return out

    async def subscription(self, contract_id: str) -> Subscription | None:
        """The subscription contract with this id as it stands now, or None."""
        variables = {"id": _gid("SubscriptionContract", contract_id)}
        data = await self._query(self._docs.subscription, variables)
        node = nullable(data, "subscriptionContract")
        return None if node is None else shaped(lambda: records.subscription(node))

    async def cancel_subscription(self, contract_id: str) -> Subscription:
        """Cancel a subscription contract and return it as it now stands.

        Raises:
            ShopifyUserError: Shopify refused (unknown contract, already cancelled...).
        """
        variables = {"id": _gid("SubscriptionContract", contract_id)}
        data = await self._mutate(self._docs.subscription_cancel, variables)
        payload = field(data, "subscriptionContractCancel", dict)
        self._raise_user_errors(payload.get("userErrors"), "subscription not cancelled")
        contract = field(payload, "contract", dict)
        return shaped(lambda: records.subscription(contract))

    async def _reason_definition(self, reason: str) -> str | None:
        """The id of the ReturnReasonDefinition for ``reason`` (cached), or None."""
        if reason not in self._reason_ids:
            handles = list(REASON_HANDLES[reason])
            found: str | None = None
            if handles:
                assert self._docs.return_reasons is not None
                data = await self._query(self._docs.return_reasons, {"handles": handles})
                nodes = field(field(data, "returnReasonDefinitions", dict), "nodes", list)
                live = {
                    str(n.get("handle")): str(n.get("id"))
                    for n in nodes
                    if isinstance(n, dict) and n.get("id") and not n.get("deleted")
                }
                found = next((live[h] for h in handles if h in live), None)
            self._reason_ids[reason] = found
        return self._reason_ids[reason]

    async def access(self) -> ShopAccess:
        """The shop this token opens and the access scopes granted to it (a harmless read)."""
        data = await self._query(self._docs.access, {})
        return shaped(lambda: records.access(data))

    # --- plumbing --------------------------------------------------------------

    async def _query(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return await self._graphql(document, variables, idempotent=True)

    async def _mutate(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return await self._graphql(document, variables, idempotent=False)

    async def _graphql(
        self, document: str, variables: dict[str, Any], *, idempotent: bool
    ) -> dict[str, Any]:
        response = await self._transport.request(
            "POST",
            self._path,
            json={"query": document, "variables": variables},
            idempotent=idempotent,
            auth=self._auth,
            check=self._throttled,
        )
        self._note_served_version(response.headers.get("x-shopify-api-version"))
        body = self._transport.json(response)
        if not isinstance(body, dict):
            raise BadResponse("GraphQL answer is not an object", vendor=VENDOR)
        errors = body.get("errors")
        if errors:
            entries = errors if isinstance(errors, list) else [{"message": str(errors)}]
            messages = [
                str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in entries
            ]
            codes = tuple(
                str((e.get("extensions") or {}).get("code"))
                for e in entries
                if isinstance(e, dict) and isinstance(e.get("extensions"), dict)
            )
            raise ShopifyQueryError(
                "GraphQL errors: " + "; ".join(messages), codes=codes, vendor=VENDOR, status=200
            )
        data = body.get("data")
        if not isinstance(data, dict):
            raise BadResponse("GraphQL answer has no data", vendor=VENDOR)
        return data

    def _note_served_version(self, served: str | None) -> None:
        """Shopify answers a retired version with the oldest one it still supports."""
        if served and served != self.api_version and served != self._served_other:
            self._served_other = served
            log.warning(
                "Shopify answered with API version %s, not the configured %s: the configured "
                "version is retired or unknown there; set shopify.api_version to a supported one",
                served,
                self.api_version,
            )

    def _throttled(self, response: httpx.Response) -> IntegrationError | None:
        try:
            body = json.loads(response.content)
        except ValueError:
            return None  # reported as BadResponse by the caller
        errors = body.get("errors") if isinstance(body, dict) else None
        if not isinstance(errors, list) or not any(
            isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED"
            for e in errors
        ):
            return None
        cost = (body.get("extensions") or {}).get("cost") or {}
        return RateLimited(
            "query cost above what the bucket holds",
            retry_after=throttle_wait(cost),
            vendor=VENDOR,
            status=response.status_code,
        )

    @staticmethod
    def _raise_user_errors(errors: Any, summary: str) -> None:
        if not errors:
            return
        if not isinstance(errors, list):
            raise BadResponse("userErrors is not a list", vendor=VENDOR)
        parsed = tuple(
            UserError(
                message=str(e.get("message") or "refused"),
                code=e.get("code"),
                field=tuple(e.get("field") or ()),
            )
            for e in errors
            if isinstance(e, dict)
        )
        text = "; ".join(e.message for e in parsed) or "refused"
        raise ShopifyUserError(f"{summary}: {text}", errors=parsed, vendor=VENDOR)


def _term(field: str, value: str) -> str:
    """A search term with the value quoted, so spaces, colons and quotes stay inside it."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{field}:"{escaped}"'


def _gid(kind: str, value: str | int) -> str:
    text = str(value).strip()
    if text.isdigit():
        return f"gid://shopify/{kind}/{text}"
    if not text.startswith(f"gid://shopify/{kind}/"):
        raise ValueError(f"not a Shopify {kind} id: {value!r}")
    return text
