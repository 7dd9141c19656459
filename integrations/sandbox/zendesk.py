"""An in-memory Zendesk Support account: users, groups, tickets and comments, served
with the real paths, shapes, auth and errors, plus webhook delivery the way the
README's two triggers would do it.

Auth: Basic ``agent@example.com/token:demo`` or Bearer ``demo``; anything else is
401 ``{"error":"Couldn't authenticate you"}``. Without credentials two things are
allowed, standing in for the web form and e-mail: creating a ticket
(``POST /api/v2/tickets.json`` with a requester) and the requester adding a public
comment (``PUT /api/v2/tickets/{id}.json`` with only ``comment``).

Webhooks: the two triggers of docs/zendesk.md, both with the condition "Current user
is (end user)": a ticket an end user opens (web form, e-mail: no credentials) and a
public comment an end user adds are POSTed to ``webhook_url`` with Zendesk's headers,
signed with ``webhook_secret``, by
:class:`~integrations.sandbox.zendesk_webhooks.WebhookSender` (``sim.webhooks``:
pause, resume, deliver_again, drain). What an agent does through the API triggers
nothing: the bot's replies, and the tickets it opens itself (a chat hand-off).

Tickets keep their people as Zendesk does: ``email_ccs``/``followers`` (and
``collaborator_ids``, ``email_cc_ids``, ``follower_ids``, ``additional_collaborators``)
are kept and shown as ``email_cc_ids``, ``follower_ids`` and ``collaborator_ids``.
Tags change through the ticket (``tags``, the whole list) or the Tags endpoint
(``/api/v2/tickets/{id}/tags``: GET, PUT adds, POST sets, DELETE removes). A property
Zendesk's spec does not document is refused with 400 (Zendesk would ignore it), as is
a null where the spec says integer (``assignee_id: null``): see
:mod:`integrations.sandbox.zendesk_fields`. In its answers, a ticket's unset
``assignee_id``/``group_id`` are left out rather than null: the published spec types
them as integers (Zendesk itself sends null; the client reads both).

Simplifications: comments are listed with cursor pagination only (``page[size]``
defaults to 100); ``links`` use ``base_url`` when given, else the request's host
without the mount prefix (the client only reads their query string).
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from integrations.sandbox.base import Faults, json_response
from integrations.sandbox.demo import build_demo_shop
from integrations.sandbox.zendesk_fields import (
    CREATE_FIELDS,
    UPDATE_FIELDS,
    Refused,
    check_documented,
    people,
)
from integrations.sandbox.zendesk_records import (
    AUTH_FAILED,
    Comment,
    Ticket,
    User,
    comment_json,
    comment_page,
    comment_text,
    encode_cursor,
    invalid,
    require,
    tags,
    tags_after,
    ticket_fields,
    ticket_json,
    user_json,
)
from integrations.sandbox.zendesk_webhooks import Delivery, Invocation, WebhookSender
from integrations.webhooks import format_timestamp, trigger_payload

__all__ = ["Delivery", "Invocation", "ZendeskSimulator"]  # the records, re-exported

AGENT_ID = 361000001
SUPPORT_GROUP_ID = 98001
CARE_GROUP_ID = 98003  # the demo policy's escalation group
TIER2_GROUP_ID = 98002
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
MAX_COMMENTS = 5000


_Reject = Refused


class ZendeskSimulator:
    """A fake Zendesk account. Serve it with :func:`integrations.sandbox.base.mount`.

    Args:
        agent_email, api_token: the agent (bot) credentials accepted; ``api_token`` is
            also the accepted OAuth bearer token.
        webhook_url: where triggers POST; None sends nothing.
        webhook_secret: the signing secret.
        http: client for webhook delivery; one is created (and closed) if not given.
        clock: the current time, for records, signatures and the rate-limit window.
        retry_delays: seconds before each retry of a failed delivery.
        rate_limit: requests per minute before 429 (Zendesk's plan limit).
        base_url: the public address, used in ``url`` fields and pagination links.
        first_ticket_id: the id of the first ticket created (the sandbox forgets its
            tickets on restart while the server's store does not: the demo starts each
            run at a fresh number so a new ticket is never taken for an answered one).
    """

    def __init__(
        self,
        *,
        agent_email: str = "agent@example.com",
        api_token: str = "demo",
        webhook_url: str | None = None,
        webhook_secret: str = "demo",
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        retry_delays: Sequence[float] = (2.0, 10.0, 60.0),
        rate_limit: int = 700,
        base_url: str | None = None,
        account_id: int = 12514403,
        webhook_id: str = "01HSANDBOXWEBHOOK0000000001",
        first_ticket_id: int = 35001,
    ) -> None:
        self.faults = Faults()
        self.rate_limit = rate_limit
        self.base_url = base_url.rstrip("/") if base_url else None
        self.webhooks = WebhookSender(
            url=webhook_url,
            secret=webhook_secret,
            clock=clock,
            http=http,
            retry_delays=retry_delays,
            account_id=account_id,
            webhook_id=webhook_id,
        )
        self._api_token = api_token
        self._basic = base64.b64encode(f"{agent_email}/token:{api_token}".encode()).decode()
        self._clock = clock
        self._ids = itertools.count(1)
        self._ticket_ids = itertools.count(first_ticket_id)
        self._user_ids = itertools.count(362000001)
        self._window = (0, 0)  # (minute, requests in it)
        now = clock()
        self.users: dict[int, User] = {
            AGENT_ID: User(AGENT_ID, "Support Bot", agent_email, "agent", now)
        }
        self.groups = {
            SUPPORT_GROUP_ID: "Support",
            TIER2_GROUP_ID: "Tier 2",
            CARE_GROUP_ID: "Customer care",
        }
        self.tickets: dict[int, Ticket] = {}
        self._demo_names = {
            c.email: f"{c.first_name} {c.last_name}" for c in build_demo_shop(now).customers
        }
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., httpx.Response]]] = [
            ("GET", re.compile(r"/api/v2/tickets/(\d+)\.json"), self._show_ticket),
            ("PUT", re.compile(r"/api/v2/tickets/(\d+)\.json"), self._update_ticket),
            ("POST", re.compile(r"/api/v2/tickets\.json"), self._create_ticket),
            ("GET", re.compile(r"/api/v2/tickets/(\d+)/comments\.json"), self._list_comments),
            *(
                (method, re.compile(r"/api/v2/tickets/(\d+)/tags(?:\.json)?"), self._tags)
                for method in ("GET", "PUT", "POST", "DELETE")
            ),
            ("GET", re.compile(r"/api/v2/users/me\.json"), self._me),
            ("GET", re.compile(r"/api/v2/users/search\.json"), self._search_users),
            ("GET", re.compile(r"/api/v2/users/(\d+)\.json"), self._show_user),
            ("GET", re.compile(r"/api/v2/groups\.json"), self._list_groups),
        ]

    # --- serving ---------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        minute = int(self._clock().timestamp() // 60)
        count = self._window[1] + 1 if self._window[0] == minute else 1
        self._window = (minute, count)
        limits = {
            "X-Rate-Limit": str(self.rate_limit),
            "X-Rate-Limit-Remaining": str(max(0, self.rate_limit - count)),
        }
        if count > self.rate_limit:
            wait = math.ceil(60 - self._clock().timestamp() % 60)
            body = {"error": "TooManyRequests", "description": "Rate limit exceeded"}
            return json_response(429, body, {**limits, "Retry-After": str(wait)})
        try:
            response = self._route(request)
        except _Reject as exc:
            response = json_response(exc.status, exc.body)
        response.headers.update(limits)
        return response

    def _route(self, request: httpx.Request) -> httpx.Response:
        caller = self._caller(request)
        for method, pattern, view in self._routes:
            match = pattern.fullmatch(request.url.path)
            if match and request.method == method:
                return view(request, caller, *(int(g) for g in match.groups()))
        raise _Reject(404, {"error": "InvalidEndpoint", "description": "Not found"})

    def _caller(self, request: httpx.Request) -> User | None:
        """The agent for good credentials, None for none; bad ones are refused here."""
        header = request.headers.get("authorization")
        if header is None:
            return None
        scheme, _, value = header.partition(" ")
        good = (scheme.lower() == "basic" and value.strip() == self._basic) or (
            scheme.lower() == "bearer" and value.strip() == self._api_token
        )
        if not good:
            raise _Reject(401, AUTH_FAILED)
        return self.users[AGENT_ID]

    # --- views -----------------------------------------------------------------

    def _show_ticket(self, request: httpx.Request, caller: User | None, tid: int) -> httpx.Response:
        require(caller)
        ticket = self._ticket(tid)
        body: dict[str, Any] = {"ticket": ticket_json(ticket, self._base(request))}
        include = request.url.params.get("include", "").split(",")
        if "users" in include:
            ids = dict.fromkeys(
                [ticket.requester_id, ticket.submitter_id, ticket.assignee_id]
                + [c.author_id for c in ticket.comments]
            )
            body["users"] = [user_json(self.users[i]) for i in ids if i is not None]
        if "groups" in include:
            group = ticket.group_id
            body["groups"] = [] if group is None else [{"id": group, "name": self.groups[group]}]
        return json_response(200, body)

    def _list_comments(
        self, request: httpx.Request, caller: User | None, tid: int
    ) -> httpx.Response:
        require(caller)
        page, has_more, size = comment_page(self._ticket(tid).comments, request.url.params)
        first = encode_cursor(page[0].id) if page else None
        last = encode_cursor(page[-1].id) if page else None
        url = f"{self._base(request)}{request.url.path}?page[size]={size}"
        return json_response(
            200,
            {
                "comments": [comment_json(c) for c in page],
                "meta": {"has_more": has_more, "after_cursor": last, "before_cursor": first},
                "links": {
                    "next": f"{url}&page[after]={last}" if has_more and last else None,
                    "prev": f"{url}&page[before]={first}" if first else None,
                },
            },
        )

    def _create_ticket(self, request: httpx.Request, caller: User | None) -> httpx.Response:
        fields = ticket_fields(request)
        check_documented(fields, CREATE_FIELDS, "ticket")
        comment = fields.get("comment")
        body, html_body = comment_text(comment)
        requester = fields.get("requester")
        if isinstance(requester, dict) and requester.get("email"):
            user = self._end_user(str(requester["email"]), requester.get("name"))
        elif caller is not None and fields.get("requester_id") in self.users:
            user = self.users[fields["requester_id"]]
        elif caller is not None:
            user = caller
        else:
            raise invalid("requester", "Requester: Email is required", "BlankValue")
        now = self._clock()
        ticket = Ticket(
            id=next(self._ticket_ids),
            subject=str(fields.get("subject") or body.splitlines()[0][:80]),
            status="new",
            requester_id=user.id,
            submitter_id=(caller or user).id,
            channel="api" if caller else "web",
            created_at=now,
            updated_at=now,
            tags=tags(fields.get("tags") or []),
        )
        ticket.email_ccs, ticket.followers = people(fields, [], [], self._user_for, self._agent)
        if "group_id" in fields and fields["group_id"] not in self.groups:
            raise invalid("group", "Group: is invalid")
        ticket.group_id = fields.get("group_id")
        self.tickets[ticket.id] = ticket
        audit = self._comment(ticket, user.id, body, html_body, True, ticket.channel)
        if caller is None:  # "Current user is (end user)": not the bot opening one by API
            self._fire(ticket, "ticket_created")
        body_json = {"ticket": ticket_json(ticket, self._base(request)), "audit": audit}
        return json_response(201, body_json)

    def _update_ticket(
        self, request: httpx.Request, caller: User | None, tid: int
    ) -> httpx.Response:
        ticket = self._ticket(tid) if caller else self.tickets.get(tid)
        fields = ticket_fields(request)
        check_documented(fields, UPDATE_FIELDS, "ticket")
        comment = fields.get("comment")
        if caller is None:
            # The requester replying (web form / e-mail): a public comment, nothing else.
            if ticket is None or set(fields) != {"comment"} or not isinstance(comment, dict):
                raise _Reject(401, AUTH_FAILED)
            if comment.get("public", True) is not True or comment.get("author_id") not in (
                None,
                ticket.requester_id,
            ):
                raise _Reject(401, AUTH_FAILED)
        assert ticket is not None
        current = caller or self.users[ticket.requester_id]
        if ticket.status == "closed":
            raise invalid("status", "Status: closed prevents ticket update", "ClosedPreventsUpdate")
        status = fields.get("status")
        if status is not None and status not in STATUSES:
            raise invalid("status", f"Status: {status} is not valid")
        group_id = fields.get("group_id", ticket.group_id)
        if group_id is not None and group_id not in self.groups:
            raise invalid("group", "Group: is invalid")
        assignee_id = fields.get("assignee_id", ticket.assignee_id)
        if assignee_id is not None and getattr(self.users.get(assignee_id), "role", "") != "agent":
            raise invalid("assignee", "Assignee: is not an agent")
        if isinstance(comment, dict):
            body, html_body = comment_text(comment)
            author_id = comment.get("author_id", current.id)
            if author_id not in self.users:
                raise invalid("author", "Author: is invalid")
            if len(ticket.comments) >= MAX_COMMENTS:
                raise invalid("comment", "Comment: too many comments on this ticket")
        elif comment is not None:
            raise invalid("comment", "Comment: is invalid")
        ccs, followers = people(
            fields, ticket.email_ccs, ticket.followers, self._user_for, self._agent
        )
        before = (ticket.status, list(ticket.tags), ticket.group_id, ticket.assignee_id)
        if "tags" in fields:
            ticket.tags = tags(fields["tags"] or [])
        ticket.group_id, ticket.assignee_id = group_id, assignee_id
        ticket.email_ccs, ticket.followers = ccs, followers
        if status is not None:
            ticket.status = status
        elif ticket.status in (("pending", "solved") if current.role == "end-user" else ("new",)):
            ticket.status = "open"  # as Zendesk does: a reply reopens, an agent opens
        if isinstance(comment, dict):
            public = bool(comment.get("public", True))
            channel = "web" if caller is None else "api"
            audit = self._comment(ticket, author_id, body, html_body, public, channel)
        else:
            audit = self._audit(ticket, current.id, [])
        names = ("status", "tags", "group_id", "assignee_id")
        after = (ticket.status, ticket.tags, ticket.group_id, ticket.assignee_id)
        for name, old, new in zip(names, before, after, strict=True):
            if old != new:
                change = {"id": next(self._ids), "type": "Change", "field_name": name}
                audit["events"].append({**change, "value": new, "previous_value": old})
        ticket.updated_at = self._clock()
        if isinstance(comment, dict) and public and current.role == "end-user":
            self._fire(ticket, "comment_added")
        return json_response(
            200, {"ticket": ticket_json(ticket, self._base(request)), "audit": audit}
        )

    def _tags(self, request: httpx.Request, caller: User | None, tid: int) -> httpx.Response:
        require(caller)
        ticket = self._ticket(tid)
        if request.method == "GET":
            return json_response(200, {"tags": list(ticket.tags)})
        if ticket.status == "closed":
            raise invalid("status", "Status: closed prevents ticket update", "ClosedPreventsUpdate")
        ticket.tags = tags_after(request, ticket.tags)
        ticket.updated_at = self._clock()
        if request.method == "DELETE":
            return httpx.Response(204)
        return json_response(201 if request.method == "POST" else 200, {"tags": list(ticket.tags)})

    def _user_for(self, who: Any) -> int:
        """A user id from an id, an email or {name, email} (new end users are created)."""
        if isinstance(who, int) and not isinstance(who, bool):
            if who not in self.users:
                raise invalid("collaborators", f"Collaborators: user {who} does not exist")
            return who
        email = who.get("email") if isinstance(who, dict) else who
        if not isinstance(email, str) or "@" not in email:
            raise invalid("collaborators", f"Collaborators: {who!r} is not a user or an email")
        return self._end_user(email, who.get("name") if isinstance(who, dict) else None).id

    def _agent(self, user_id: int) -> bool:
        return self.users[user_id].role in ("agent", "admin")

    def _me(self, request: httpx.Request, caller: User | None) -> httpx.Response:
        return json_response(200, {"user": user_json(require(caller))})

    def _show_user(self, request: httpx.Request, caller: User | None, uid: int) -> httpx.Response:
        require(caller)
        user = self.users.get(uid)
        if user is None:
            raise _Reject(404, {"error": "RecordNotFound", "description": "Not found"})
        return json_response(200, {"user": user_json(user)})

    def _search_users(self, request: httpx.Request, caller: User | None) -> httpx.Response:
        require(caller)
        query = request.url.params.get("query", "").strip().lower()
        if query.startswith("email:"):
            email = query.removeprefix("email:").strip()
            if email in self._demo_names:
                self._end_user(email, None)  # demo customers exist from first use
            found = [u for u in self.users.values() if (u.email or "").lower() == email]
        else:
            found = [u for u in self.users.values() if query in f"{u.name} {u.email or ''}".lower()]
        users = [user_json(u) for u in found]
        return json_response(
            200, {"users": users, "next_page": None, "previous_page": None, "count": len(users)}
        )

    def _list_groups(self, request: httpx.Request, caller: User | None) -> httpx.Response:
        require(caller)
        groups = [{"id": i, "name": n, "deleted": False} for i, n in self.groups.items()]
        return json_response(
            200, {"groups": groups, "next_page": None, "previous_page": None, "count": len(groups)}
        )

    # --- state -----------------------------------------------------------------

    def _ticket(self, tid: int) -> Ticket:
        ticket = self.tickets.get(tid)
        if ticket is None:
            raise _Reject(404, {"error": "RecordNotFound", "description": "Not found"})
        return ticket

    def _end_user(self, email: str, name: Any) -> User:
        email = email.strip().lower()
        for user in self.users.values():
            if (user.email or "").lower() == email:
                return user
        name = str(name or self._demo_names.get(email) or email.split("@")[0])
        user = User(next(self._user_ids), name, email, "end-user", self._clock())
        self.users[user.id] = user
        return user

    def _comment(
        self, ticket: Ticket, author_id: int, body: str, html_body: str, public: bool, via: str
    ) -> dict[str, Any]:
        audit = self._audit(ticket, author_id, [])
        comment = Comment(
            next(self._ids), author_id, body, html_body, public, self._clock(), via, audit["id"]
        )
        ticket.comments.append(comment)
        audit["events"].append(comment_json(comment))
        return audit

    def _audit(self, ticket: Ticket, author_id: int, events: list[Any]) -> dict[str, Any]:
        return {
            "id": next(self._ids),
            "ticket_id": ticket.id,
            "created_at": format_timestamp(self._clock()),
            "author_id": author_id,
            "events": events,
        }

    def _base(self, request: httpx.Request) -> str:
        return self.base_url or f"{request.url.scheme}://{request.url.netloc.decode()}"

    # --- webhooks --------------------------------------------------------------

    @property
    def invocations(self) -> list[Invocation]:
        return self.webhooks.invocations

    @property
    def deliveries(self) -> list[Delivery]:
        return self.webhooks.deliveries

    async def aclose(self) -> None:
        """Cancel webhook deliveries still in flight."""
        await self.webhooks.aclose()

    def _fire(self, ticket: Ticket, event: str) -> None:
        latest = ticket.comments[-1]
        payload = trigger_payload(
            ticket_id=ticket.id,
            comment_id=latest.id,
            event=event,
            status=ticket.status,
        )
        self.webhooks.send(
            Invocation(str(next(self._ids)), ticket.id, event, json.dumps(payload).encode())
        )
