"""The Zendesk client and sandbox against Zendesk's published Support API spec
(``../shared/reference/api-specs/zendesk/zendesk_support_oas.yaml``) and its webhook
and tags guides, not against each other."""

from __future__ import annotations

import json

import httpx
import pytest

from integrations.contracts import zendesk as contract
from integrations.sandbox.base import transport
from integrations.sandbox.zendesk import AGENT_ID, TIER2_GROUP_ID, ZendeskSimulator
from integrations.sandbox.zendesk_fields import COMMENT_FIELDS, CREATE_FIELDS, UPDATE_FIELDS
from integrations.zendesk import ZendeskClient

AUTH = {"Authorization": "Bearer demo"}


@pytest.fixture(scope="module")
def oas(spec_dir):
    return contract.spec(spec_dir)


def schema(oas, name):
    return oas.spec["components"]["schemas"][name]


def writable(oas, name) -> set[str]:
    props = schema(oas, name)["properties"]
    return {k for k, v in props.items() if not v.get("readOnly")}


# --- the client ------------------------------------------------------------------


def test_every_request_is_documented_and_every_answer_fits_the_spec(spec_dir):
    (result,) = contract.check(spec_dir)
    assert result.problems == []
    assert result.calls == 15


async def test_tags_go_through_the_tags_endpoint_never_additional_tags(oas):
    # The finding: a single-ticket update documents `tags` as the whole list only...
    assert {"additional_tags", "remove_tags"}.isdisjoint(writable(oas, "TicketUpdateInput"))
    # ...and the Tags endpoint is the documented way to add and remove some.
    tags = oas.spec["paths"]["/api/v2/tickets/{ticket_id}/tags"]
    assert (tags["put"]["summary"], tags["delete"]["summary"]) == ("Add Tags", "Remove Tags")

    exchanges = await contract.record_exchanges()
    bodies = [json.loads(e.request.content) for e in exchanges if e.request.content]
    assert not any("additional_tags" in json.dumps(b) or "remove_tags" in json.dumps(b)
                   for b in bodies)  # fmt: skip
    tag_calls = [(e.request.method, json.loads(e.request.content)) for e in exchanges
                 if e.path.endswith("/tags.json")]  # fmt: skip
    assert tag_calls == [
        ("PUT", {"tags": ["bot_answered", "intent_track_order"]}),
        ("PUT", {"tags": ["bot_escalated", "reason_customer_asked"]}),
        ("DELETE", {"tags": ["bot_escalated"]}),
        ("PUT", {"tags": ["bot_auto_reply"]}),
    ]


async def test_escalation_never_sends_a_null_assignee(oas):
    body = {"ticket": {"comment": {"body": "x", "public": False}, "assignee_id": None}}
    violations = oas.validate(body, {"$ref": "#/components/schemas/TicketUpdateRequest"})
    assert [(v.where, v.rule) for v in violations] == [("ticket.assignee_id", "type")]

    exchanges = await contract.record_exchanges()
    updates = [json.loads(e.request.content)["ticket"] for e in exchanges
               if e.request.method == "PUT" and e.path.endswith(".json")
               and "/tags" not in e.path]  # fmt: skip
    escalation = next(u for u in updates if u.get("group_id") == TIER2_GROUP_ID)
    assert "assignee_id" not in escalation


async def test_the_client_reads_tickets_with_nulls_as_zendesk_sends_them():
    ticket = {"id": 7, "subject": "Hi", "status": "new", "requester_id": 3, "submitter_id": 3,
              "assignee_id": None, "group_id": None, "organization_id": None, "type": None,
              "priority": None, "external_id": None, "tags": [],
              "created_at": "2026-01-01T10:00:00Z", "updated_at": "2026-01-01T10:00:00Z"}  # fmt: skip

    def answer(_: httpx.Request) -> httpx.Response:
        content = json.dumps({"ticket": ticket, "users": []}).encode()
        return httpx.Response(200, headers={"content-type": "application/json"},
                              stream=httpx.ByteStream(content))  # fmt: skip

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        client = ZendeskClient(http, base_url="https://acme.zendesk.com", oauth_token="t")
        read = await client.get_ticket(7)
    assert (read.assignee_id, read.group_id) == (None, None)


# --- the sandbox takes what Zendesk documents, and nothing else ------------------------


def test_the_sandbox_accepts_exactly_the_documented_ticket_properties(oas):
    assert writable(oas, "TicketUpdateInput") == UPDATE_FIELDS
    assert writable(oas, "TicketCreateInput") == CREATE_FIELDS - {"requester"}
    assert schema(oas, "TicketObject")["properties"]["requester"]["writeOnly"] is True
    assert writable(oas, "TicketCommentObject") == COMMENT_FIELDS


@pytest.fixture
async def zendesk():
    sim = ZendeskSimulator()
    async with httpx.AsyncClient(transport=transport(sim), base_url="http://zendesk.test") as http:
        yield sim, http
    await sim.aclose()


async def open_ticket(http, **extra) -> dict:
    ticket = {"comment": {"body": "Where is my order?"},
              "requester": {"email": "maria@example.com"}, **extra}  # fmt: skip
    answer = await http.post("/api/v2/tickets.json", json={"ticket": ticket})
    assert answer.status_code == 201, answer.text
    return answer.json()["ticket"]


@pytest.mark.parametrize(
    ("update", "refused"),
    [
        ({"additional_tags": ["bot_answered"]}, "additional_tags not documented"),
        ({"remove_tags": ["bot_escalated"]}, "remove_tags not documented"),
        ({"assignee_id": None}, "assignee_id: must be an integer"),
        ({"comment": {"body": "hi", "is_public": True}}, "is_public not documented"),
    ],
)
async def test_the_sandbox_refuses_what_the_spec_does_not_document(oas, zendesk, update, refused):
    _, http = zendesk
    ticket = await open_ticket(http)
    body = {"ticket": update}
    request = httpx.Request("PUT", f"http://zendesk.test/api/v2/tickets/{ticket['id']}.json",
                            json=body)  # fmt: skip
    assert oas.check_request(request, body) != []  # the spec does not allow it either

    answer = await http.put(f"/api/v2/tickets/{ticket['id']}.json", json=body, headers=AUTH)
    assert answer.status_code == 400
    assert refused in answer.json()["description"]


async def test_email_ccs_and_followers_are_kept_as_zendesk_keeps_them(oas, zendesk):
    sim, http = zendesk
    ticket = await open_ticket(http, email_ccs=[{"user_email": "partner@example.com",
                                                 "user_name": "Pat"}])  # fmt: skip
    partner = next(u.id for u in sim.users.values() if u.email == "partner@example.com")
    assert ticket["email_cc_ids"] == [partner]

    update = {"ticket": {"followers": [{"user_id": str(AGENT_ID), "action": "put"}]}}
    answer = await http.put(f"/api/v2/tickets/{ticket['id']}.json", json=update, headers=AUTH)
    reply = {"ticket": {"comment": {"body": "It ships today.", "public": True},
                        "status": "pending"}}  # fmt: skip
    answer = await http.put(f"/api/v2/tickets/{ticket['id']}.json", json=reply, headers=AUTH)

    shown = answer.json()["ticket"]
    assert (shown["email_cc_ids"], shown["follower_ids"]) == ([partner], [AGENT_ID])
    assert shown["collaborator_ids"] == [partner, AGENT_ID]
    path = f"/api/v2/tickets/{ticket['id']}"
    assert oas.check_response("PUT", path, 200, "application/json", answer.json()) == []

    drop = {"ticket": {"email_ccs": [{"user_id": str(partner), "action": "delete"}]}}
    answer = await http.put(f"/api/v2/tickets/{ticket['id']}.json", json=drop, headers=AUTH)
    assert answer.json()["ticket"]["email_cc_ids"] == []


async def test_a_follower_must_be_an_agent(zendesk):
    _, http = zendesk
    ticket = await open_ticket(http)
    update = {"ticket": {"followers": [{"user_email": "friend@example.com"}]}}
    answer = await http.put(f"/api/v2/tickets/{ticket['id']}.json", json=update, headers=AUTH)
    assert answer.status_code == 422
    assert answer.json()["details"]["followers"][0]["error"] == "InvalidValue"


# --- triggers fire as a shop's trigger would ----------------------------------------------


async def test_only_what_an_end_user_does_fires_the_trigger(zendesk):
    sim, http = zendesk
    client = ZendeskClient(http, base_url="http://zendesk.test", oauth_token="demo")

    handoff = await client.create_ticket(
        subject="Chat hand-off: customer_asked", body="Chat transcript: ...",
        requester_email="sam@example.com", tags=("chat_handoff",),
    )  # fmt: skip
    await client.add_comment(handoff.id, "We will call you.", status="pending")
    assert sim.invocations == []  # the bot (an agent, through the API) triggers nothing

    ticket = await open_ticket(http)  # the customer's e-mail / web form
    await http.put(f"/api/v2/tickets/{ticket['id']}.json",
                   json={"ticket": {"comment": {"body": "Any news?"}}})  # fmt: skip
    assert [(i.ticket_id, i.event) for i in sim.invocations] == [
        (ticket["id"], "ticket_created"),
        (ticket["id"], "comment_added"),
    ]


async def test_the_tags_endpoint_adds_sets_and_removes(oas, zendesk):
    _, http = zendesk
    ticket = await open_ticket(http, tags=["vip"])
    path = f"/api/v2/tickets/{ticket['id']}/tags.json"
    added = await http.put(path, json={"tags": ["bot_answered"]}, headers=AUTH)
    assert added.json() == {"tags": ["vip", "bot_answered"]}
    assert oas.check_response("PUT", path, 200, "application/json", added.json()) == []
    removed = await http.request("DELETE", path, json={"tags": ["vip"]}, headers=AUTH)
    assert removed.status_code == 204
    replaced = await http.post(path, json={"tags": ["a", "b"]}, headers=AUTH)
    assert (replaced.status_code, replaced.json()) == (201, {"tags": ["a", "b"]})
    assert (await http.get(path, headers=AUTH)).json() == {"tags": ["a", "b"]}
