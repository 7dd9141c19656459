"""The Shopify Admin GraphQL API, simulated over the demo shop.

Serves ``POST /admin/api/{version}/graphql.json`` with the ``X-Shopify-Access-Token``
header, and executes each request with graphql-core against the Admin schema Shopify
published for that version (pruned to what the client reaches, vendored in
``shopify_schemas/``): an unknown field, a wrong variable type or an input field a
version removed fails here as it does on Shopify, and every answer has the schema's
types. Versions the sandbox has no schema for fall forward, as Shopify does for a
retired version: to the next newer one it has (``unstable`` and newer than the newest
get the newest); ``X-Shopify-API-Version`` names the version that answered.

Every answer carries ``extensions.cost``; a leaky bucket (size and restore rate
configurable, Standard-plan figures by default) answers HTTP 200 + ``THROTTLED``
when empty.

Choices where Shopify's behaviour is not documented ([U] in the reference):
unknown search fields in ``query:`` are ignored (all records match) with an
``extensions.search`` warning, as Shopify does; a query priced above
``min(1000, bucket_size)`` is refused with ``MAX_COST_EXCEEDED``; the return reason
library (from 2026-01) holds one definition per ``ReturnReason`` with a handle
spelled like it (``wrong-item``...), since Shopify's handles are not published.
"""

from __future__ import annotations

import functools
import json
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from graphql import GraphQLSchema

from integrations.sandbox.base import Faults, json_response
from integrations.sandbox.demo import DemoShop, build_demo_shop
from integrations.sandbox.graphql import (
    RequestError,
    executable_schema,
    prepare,
    run,
)
from integrations.sandbox.shopify_resolvers import for_schema
from integrations.sandbox.shopify_store import CARRIER_COMPANIES, ShopifyStore, tracking_url
from integrations.shopify_versions import NEWEST, SUPPORTED_VERSIONS

__all__ = ["CARRIER_COMPANIES", "ShopifySimulator", "served_version", "tracking_url"]

_PATH = re.compile(r"/admin/api/(\d{4}-\d{2}|unstable)/graphql\.json")
_BAD_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
_SCHEMAS = Path(__file__).with_name("shopify_schemas")


@functools.cache
def _schema(version: str) -> GraphQLSchema:
    """The executable schema of a vendored version, built once per process."""
    sdl = (_SCHEMAS / f"admin_{version}.graphql").read_text(encoding="utf-8")
    return executable_schema(
        sdl,
        lambda schema: for_schema(schema.type_map, schema.query_type.name),  # type: ignore[union-attr]
    )


def served_version(asked: str) -> str:
    """The version that answers a request for ``asked`` (Shopify falls forward)."""
    if asked in SUPPORTED_VERSIONS:
        return asked
    return next((v for v in SUPPORTED_VERSIONS if v > asked), NEWEST)


class ShopifySimulator:
    """A stateful fake of the Admin GraphQL API; cancellations, returns and
    subscription changes are visible to later queries (``store``)."""

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
        self.store = ShopifyStore(shop or build_demo_shop())
        self.shop = self.store.shop
        self.cancelled = self.store.cancelled
        self.returns = self.store.returns
        self.subscription_status = self.store.subscription_status
        self.access_token = access_token
        self.bucket_size = float(bucket_size)
        self.restore_rate = float(restore_rate)
        self.faults = Faults()
        self._clock = clock
        self._available = self.bucket_size
        self._last = clock()
        self.requests = 0
        self.token_ttl = token_ttl
        self.issued: dict[str, float] = {}  # client-credentials token -> expiry (clock)
        self.versions_asked: list[str] = []

    # --- HTTP ------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if request.url.path == "/admin/oauth/access_token" and request.method == "POST":
            return self._issue_token(request)
        m = _PATH.fullmatch(request.url.path)
        if m is None:
            return json_response(404, {"errors": "Not Found"})
        version = served_version(m.group(1))
        headers = {"X-Request-Id": str(uuid.uuid4()), "X-Shopify-API-Version": version}
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
        self.versions_asked.append(m.group(1))
        answer = self._graphql(_schema(version), query, variables, body.get("operationName"))
        return json_response(200, answer, headers)

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

    def _graphql(
        self, schema: GraphQLSchema, query: str, variables: dict[str, Any], name: str | None
    ) -> dict[str, Any]:
        try:
            prep = prepare(schema, query, variables, name)
        except RequestError as exc:
            return {"errors": exc.errors}
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
        self.store.search_warnings = []
        data, errors, actual = run(schema, prep, self.store)
        self._available = max(0.0, available - actual)
        out: dict[str, Any] = {"data": data}
        if errors:
            out["errors"] = errors
        if self.store.search_warnings:
            out["extensions"] = {"search": self.store.search_warnings}
        return self._priced(out, prep.cost, actual)

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
