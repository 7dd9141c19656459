"""Shopify: for each supported Admin API version, drive the real client through every
operation against the sandbox, and check each request it sent (document and
variables) against that version's full published schema, with nothing deprecated."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from integrations.contracts.graphql_check import check_request
from integrations.contracts.recording import Recorder, quiet_options
from integrations.contracts.report import Result
from integrations.contracts.specs import shopify_schema
from integrations.sandbox.base import transport
from integrations.sandbox.shopify import ShopifySimulator
from integrations.shopify import ShopifyClient, ShopifyUserError
from integrations.shopify_queries import documents
from integrations.shopify_versions import SUPPORTED_VERSIONS

__all__ = ["API", "check", "check_version", "record_requests"]

API = "Shopify Admin GraphQL"


async def record_requests(version: str) -> list[tuple[str, dict[str, object]]]:
    """(document, variables) of every request the client sends in the demo's flows."""
    recorder = Recorder(ShopifySimulator())
    async with httpx.AsyncClient(transport=transport(recorder)) as http:
        client = ShopifyClient(
            http, base_url="http://shopify.test", access_token="demo", api_version=version,
            **quiet_options(),
        )  # fmt: skip
        await client.latest_orders("maria@example.com")
        priya = await client.order_by_name("#1003", email="priya@example.com")
        assert priya is not None
        await client.open_returns(priya.id)  # the runner's check before repeating a return
        await client.request_return(
            priya.id, [(priya.line_items[1].id, 1)], reason="DEFECTIVE", note="chipped"
        )
        await client.open_returns(priya.id)
        (subscription,) = await client.subscriptions("noah@example.com")
        await client.subscription(subscription.id)  # ...before repeating a cancellation
        await client.cancel_subscription(subscription.id)
        await client.access()  # `chatbot check`
        await client.order("5501005")
        await client.cancel_order("5501005", refund=True, staff_note="asked in chat")
        try:
            await client.cancel_order("5501001")  # fulfilled: refused with userErrors
        except ShopifyUserError:
            pass
    sent = []
    for exchange in recorder.exchanges:
        if exchange.path.endswith("/graphql.json"):
            body = json.loads(exchange.request.content)
            sent.append((body["query"], body.get("variables") or {}))
    return sent


def check_version(spec_dir: Path, version: str) -> Result:
    result = Result(API, version)
    schema = shopify_schema(spec_dir, version)
    sent = asyncio.run(record_requests(version))
    result.calls = len(sent)
    for query, variables in sent:
        name = query.split("(")[0].split("{")[0].strip()
        result.problems += [f"{name}: {p}" for p in check_request(schema, query, variables)]
    used = {query for query, _ in sent}
    result.problems += [
        f"{name}: never sent by the checked flows"
        for name, text in documents(version).all().items()
        if text not in used
    ]
    return result


def check(spec_dir: Path) -> list[Result]:
    return [check_version(spec_dir, version) for version in SUPPORTED_VERSIONS]
