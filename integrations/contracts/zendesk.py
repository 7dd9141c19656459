"""Zendesk: drive the real client through everything the e-mail channel and the chat
hand-off do, against the sandbox, and check every request against the published
Support API spec (strictly: no property it does not declare) and every answer
against the response schema declared for its status."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from integrations.contracts.openapi import OpenApi
from integrations.contracts.recording import Exchange, Recorder, quiet_options
from integrations.contracts.report import Result
from integrations.contracts.specs import load_spec
from integrations.sandbox.base import transport
from integrations.sandbox.zendesk import TIER2_GROUP_ID, ZendeskSimulator
from integrations.zendesk import ZendeskClient

__all__ = ["ALLOWED_PARAMS", "API", "TAGS_BODY", "check", "record_exchanges", "spec"]

API = "Zendesk Support"
SPEC = "zendesk/zendesk_support_oas.yaml"
# Query parameters Zendesk documents in its guides but the OAS does not declare per
# operation: cursor pagination (every list endpoint) and side-loading (include=users).
ALLOWED_PARAMS = {
    "page[size]": "cursor pagination: documented in the API introduction, not per operation",
    "page[after]": "cursor pagination: documented in the API introduction, not per operation",
    "include": "side-loading: documented on the Side-loading page, not on Show Ticket",
}

# The Tags endpoint declares no request body; its description documents this one.
TAGS_BODY = {
    "type": "object",
    "properties": {
        "tags": {"type": "array", "items": {"type": "string"}},
        "updated_stamp": {"type": "string", "format": "date-time"},
        "safe_update": {},
    },
    "required": ["tags"],
    "additionalProperties": False,
}
REQUESTER_NOTE = (
    "POST /api/v2/tickets: ticket.requester is not in the create schema; the Ticket object "
    "declares it write-only and Zendesk's guides create tickets for new requesters with it"
)


def spec(spec_dir: Path) -> OpenApi:
    return OpenApi(load_spec(spec_dir / SPEC))


async def record_exchanges() -> list[Exchange]:
    """Every exchange of the client's operations, on a ticket a customer opened."""
    sim = ZendeskSimulator()
    recorder = Recorder(sim)
    async with httpx.AsyncClient(transport=transport(recorder)) as http:
        opened = await http.post(  # the customer's web form: not the client
            "http://zendesk.test/api/v2/tickets.json",
            json={"ticket": {"subject": "Where is my order?",
                             "comment": {"body": "Where is order #1001?"},
                             "requester": {"email": "maria@example.com"}}},
        )  # fmt: skip
        ticket_id = opened.json()["ticket"]["id"]
        recorder.exchanges.clear()
        client = ZendeskClient(
            http, base_url="http://zendesk.test", email="agent@example.com", api_token="demo",
            **quiet_options(),
        )  # fmt: skip
        me = await client.me()
        await client.group_ids()
        await client.find_user_by_email("maria@example.com")
        ticket = await client.get_ticket(ticket_id)
        await client.get_user(ticket.requester_id)
        await client.list_comments(ticket_id)
        await client.add_comment(
            ticket_id, "It arrives tomorrow.", author_id=me.id, status="pending",
            additional_tags=["bot_answered", "intent_track_order"],
        )  # fmt: skip
        await client.add_note(ticket_id, "Looked up order #1001.")
        await client.escalate(
            ticket_id, group_id=TIER2_GROUP_ID, note="Asked for a person",
            tags=("bot_escalated", "reason_customer_asked"),
        )  # fmt: skip
        await client.update_tags(ticket_id, add=["bot_auto_reply"], remove=["bot_escalated"])
        await client.set_status(ticket_id, "open")
        await client.create_ticket(
            subject="Chat hand-off: customer_asked", body="Chat transcript: ...",
            requester_email="sam@example.com", requester_name="Sam Lee",
            tags=("chat_handoff", "reason_customer_asked"), group_id=TIER2_GROUP_ID,
        )  # fmt: skip
    await sim.aclose()
    return list(recorder.exchanges)


def check_exchange(api: OpenApi, exchange: Exchange) -> tuple[list[str], list[str]]:
    """(problems, notes) for one request and its answer."""
    request, response = exchange.request, exchange.response
    where = f"{request.method} {request.url.path}"
    body = json.loads(request.content) if request.content else None
    allow = frozenset(p for p in ALLOWED_PARAMS if p in request.url.params)
    notes = [f"{where}: {p} ({ALLOWED_PARAMS[p]})" for p in sorted(allow)]
    problems: list[str] = []
    if "/tags" in request.url.path and body is not None:
        problems += [f"{where}: {v}" for v in api.validate(body, TAGS_BODY)]
        notes.append(f"{where}: the Tags endpoint declares no body; its description shows "
                     '{"tags": [...]}, which is what is sent')  # fmt: skip
        body = None
    ticket = body.get("ticket") if isinstance(body, dict) else None
    if request.method == "POST" and isinstance(ticket, dict) and "requester" in ticket:
        requester = ticket.pop("requester")
        if not isinstance(requester, dict) or set(requester) - {"email", "name", "locale_id"}:
            problems.append(f"{where}: ticket.requester is not {{email, name, locale_id}}")
        notes.append(REQUESTER_NOTE)
    problems += [f"{where}: {p}" for p in api.check_request(request, body, allow=allow)]
    answer = response.json() if response.content else None
    problems += [
        f"{where} -> {response.status_code}: {v}"
        for v in api.check_response(
            request.method, request.url.path, response.status_code,
            response.headers.get("content-type"), answer,
        )
    ]  # fmt: skip
    return problems, notes


def check(spec_dir: Path) -> list[Result]:
    api = spec(spec_dir)
    result = Result(API, str(api.spec["info"]["version"]))
    exchanges = asyncio.run(record_exchanges())
    result.calls = len(exchanges)
    for exchange in exchanges:
        problems, notes = check_exchange(api, exchange)
        result.problems += problems
        result.notes += [n for n in notes if n not in result.notes]
    return [result]
