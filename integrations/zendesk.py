"""Zendesk Support API client: read tickets and comments, post replies and notes,
escalate, and look up users.

Auth is an API token (HTTP Basic ``{email}/token:{token}``) or an OAuth bearer token.
Errors arrive in Zendesk's envelope ``{"error", "description", "details"}`` and are
translated into :mod:`integrations.errors`; a 422 ``RecordInvalid`` becomes
:class:`RecordInvalid` (an ``APIStatusError``) carrying ``details``.

Retries: reads go through the shared :class:`~integrations.http.ApiTransport` rules.
A comment is added with ``PUT /api/v2/tickets/{id}.json``, which is *not* idempotent:
a 5xx or a timeout may have posted the comment already, so such failures are raised
(``IntegrationUnavailable``) instead of repeated, and the caller's outbox retries
with its own de-duplication. A 429 (nothing was applied) and a connection that was
never established are still retried here. Updates without a comment (status, tags)
are idempotent and retried like reads.

Tags are added and removed with the ticket Tags endpoint (``PUT``/``DELETE
/api/v2/tickets/{id}/tags``), the documented way to change some tags without
replacing the others: a single-ticket update takes ``tags`` only as the whole list,
and ``additional_tags``/``remove_tags`` are documented for Update Many alone. When a
comment carries tags, the tags go first: adding tags is idempotent, so a retry after
a failed comment repeats nothing, and a comment that landed is never followed by
tags that did not. Escalation never sends ``assignee_id: null`` (the spec types it as
an integer): the bot never assigns a ticket, so moving it to a group is enough.

Choices where the reference is [U]: user search is ``users/search.json?query=email:...``;
pagination follows ``links.next`` but re-requests our own path with its query string,
so a ``next`` link can never send our credentials to another host.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from integrations.errors import BadResponse
from integrations.http import ApiTransport
from integrations.models import Comment, Ticket, ZendeskUser
from integrations.zendesk_api import RecordInvalid, call, credentials

__all__ = ["RecordInvalid", "ZendeskClient"]

VENDOR = "zendesk"
PAGE_SIZE = 100
MAX_PAGES = 100  # 5000 comments is Zendesk's per-ticket maximum; 100 pages cover it


class ZendeskClient:
    """One Zendesk account, reached through an injected ``httpx.AsyncClient``.

    Args:
        http: the shared client.
        base_url: ``https://{subdomain}.zendesk.com`` (or the sandbox mount).
        email, api_token: API-token auth, used unless ``oauth_token`` is given.
        oauth_token: an OAuth access token (Bearer).
        transport_options: passed to :class:`ApiTransport` (timeout, retry, sleep...).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        email: str | None = None,
        api_token: str | None = None,
        oauth_token: str | None = None,
        **transport_options: Any,
    ) -> None:
        auth = credentials(email=email, api_token=api_token, oauth_token=oauth_token)
        if auth is None:
            raise ValueError("Zendesk needs email + api_token or an oauth_token")
        self._auth = auth
        self._transport = ApiTransport(http, vendor=VENDOR, base_url=base_url, **transport_options)

    # --- tickets ---------------------------------------------------------------

    async def get_ticket(self, ticket_id: int) -> Ticket:
        """The ticket with its requester side-loaded.

        Raises:
            NotFound: no such ticket.
        """
        data = await self._call("GET", f"/api/v2/tickets/{ticket_id}.json", "ticket",
                                params={"include": "users"})  # fmt: skip
        users = {u.id: u for u in _parse(_users, data.get("users") or [])}
        ticket = _parse(_ticket, data["ticket"])
        return dataclasses.replace(ticket, requester=users.get(ticket.requester_id))

    async def list_comments(self, ticket_id: int) -> list[Comment]:
        """Every comment on the ticket, oldest first (follows cursor pagination)."""
        path = f"/api/v2/tickets/{ticket_id}/comments.json"
        params: Any = {"page[size]": PAGE_SIZE}
        comments: list[Comment] = []
        for _ in range(MAX_PAGES):
            data = await self._call("GET", path, "comments", params=params)
            comments.extend(_parse(_comments, data["comments"]))
            meta, links = data.get("meta") or {}, data.get("links") or {}
            if not meta.get("has_more") or not links.get("next"):
                break
            params = httpx.URL(str(links["next"])).params
        else:
            raise BadResponse(f"more than {MAX_PAGES} pages of comments", vendor=VENDOR)
        return comments

    async def add_comment(
        self,
        ticket_id: int,
        body: str,
        *,
        public: bool = True,
        author_id: int | None = None,
        html_body: str | None = None,
        status: str | None = None,
        tags: list[str] | None = None,
        additional_tags: list[str] | None = None,
    ) -> Ticket:
        """Post a comment (a reply when ``public``, else an internal note) and return the
        updated ticket. Not retried after a 5xx or timeout: see the module docstring.
        ``tags`` replaces the ticket's tags; ``additional_tags`` are added first, through
        the Tags endpoint.

        Raises:
            NotFound: no such ticket. RecordInvalid: e.g. closed ticket, blank body.
            IntegrationUnavailable: the comment may or may not have been posted.
        """
        comment: dict[str, Any] = {"public": public}
        if html_body is not None:
            comment["html_body"] = html_body
        else:
            comment["body"] = body
        if author_id is not None:
            comment["author_id"] = author_id
        update: dict[str, Any] = {"comment": comment}
        if status is not None:
            update["status"] = status
        if tags is not None:
            update["tags"] = list(tags)
        if additional_tags:
            await self.update_tags(ticket_id, add=additional_tags)
        return await self._update(ticket_id, update, idempotent=False)

    async def create_ticket(
        self,
        *,
        subject: str,
        body: str,
        requester_email: str | None,
        requester_name: str | None = None,
        tags: list[str] | tuple[str, ...] = (),
        group_id: int | None = None,
    ) -> Ticket:
        """Open a ticket for ``requester_email`` (a new end user when unknown) with ``body``
        as its first comment; None: the credentials' own user is the requester (Zendesk's
        default), so no one else is written to. Not retried after a 5xx or timeout: it
        may exist already.

        Raises:
            RecordInvalid: e.g. a malformed email.
            IntegrationUnavailable: the ticket may or may not have been created.
        """
        ticket: dict[str, Any] = {"subject": subject, "comment": {"body": body}}
        if requester_email is not None:
            requester: dict[str, Any] = {"email": requester_email}
            if requester_name:
                requester["name"] = requester_name
            ticket["requester"] = requester
        if tags:
            ticket["tags"] = list(tags)
        if group_id is not None:
            ticket["group_id"] = group_id
        data = await self._call(
            "POST", "/api/v2/tickets.json", "ticket", json={"ticket": ticket}, idempotent=False
        )
        return _parse(_ticket, data["ticket"])

    async def add_note(self, ticket_id: int, body: str) -> Ticket:
        """An internal note agents see and the customer does not."""
        return await self.add_comment(ticket_id, body, public=False)

    async def escalate(
        self, ticket_id: int, *, group_id: int, note: str, tags: list[str] | tuple[str, ...] = ()
    ) -> Ticket:
        """Hand the ticket to a human group with an internal note explaining why (tags
        added first, through the Tags endpoint)."""
        if tags:
            await self.update_tags(ticket_id, add=tags)
        update = {"comment": {"body": note, "public": False}, "group_id": group_id}
        return await self._update(ticket_id, update, idempotent=False)

    async def set_status(self, ticket_id: int, status: str) -> Ticket:
        """Set ``new | open | pending | hold | solved``."""
        return await self._update(ticket_id, {"status": status}, idempotent=True)

    async def update_tags(
        self,
        ticket_id: int,
        *,
        add: list[str] | tuple[str, ...] = (),
        remove: list[str] | tuple[str, ...] = (),
    ) -> tuple[str, ...] | None:
        """Add and remove tags without replacing the others (the Tags endpoint); the
        ticket's tags afterwards when Zendesk said (it does after adding)."""
        path = f"/api/v2/tickets/{ticket_id}/tags.json"
        if remove:
            await self._call("DELETE", path, None, json={"tags": list(remove)}, idempotent=True)
        if not add:
            return None
        data = await self._call("PUT", path, "tags", json={"tags": list(add)}, idempotent=True)
        return _parse(lambda raw: tuple(str(t) for t in raw), data["tags"])

    # --- users -----------------------------------------------------------------

    async def get_user(self, user_id: int) -> ZendeskUser:
        data = await self._call("GET", f"/api/v2/users/{user_id}.json", "user")
        return _parse(_user, data["user"])

    async def me(self) -> ZendeskUser:
        """The user the credentials belong to: the bot's own agent."""
        data = await self._call("GET", "/api/v2/users/me.json", "user")
        return _parse(_user, data["user"])

    async def find_user_by_email(self, email: str) -> ZendeskUser | None:
        data = await self._call(
            "GET", "/api/v2/users/search.json", "users", params={"query": f"email:{email}"}
        )
        wanted = email.strip().lower()
        for user in _parse(_users, data["users"]):
            if (user.email or "").lower() == wanted:
                return user
        return None

    async def group_ids(self) -> dict[str, int]:
        """Group names to ids (to find the escalation group when it is configured by name)."""
        data = await self._call("GET", "/api/v2/groups.json", "groups")
        return _parse(lambda raw: {str(g["name"]): int(g["id"]) for g in raw}, data["groups"])

    # --- plumbing --------------------------------------------------------------

    async def _update(self, ticket_id: int, update: dict[str, Any], *, idempotent: bool) -> Ticket:
        data = await self._call(
            "PUT",
            f"/api/v2/tickets/{ticket_id}.json",
            "ticket",
            json={"ticket": update},
            idempotent=idempotent,
        )
        return _parse(_ticket, data["ticket"])

    async def _call(
        self, method: str, path: str, key: str | None, *, idempotent: bool | None = None, **kw: Any
    ) -> dict[str, Any]:
        """The JSON answer, which must hold ``key`` (None: an empty 204 is fine too)."""
        return await call(
            self._transport,
            self._auth,
            method,
            path,
            key,
            vendor=VENDOR,
            idempotent=idempotent,
            **kw,
        )


def _parse(read: Callable[[Any], Any], raw: Any) -> Any:
    try:
        return read(raw)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadResponse(f"unexpected shape: {exc!r}", vendor=VENDOR) from exc


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _channel(raw: dict[str, Any]) -> str | None:
    via = raw.get("via")
    return via.get("channel") if isinstance(via, dict) else None


def _user(raw: dict[str, Any]) -> ZendeskUser:
    return ZendeskUser(
        id=int(raw["id"]), name=str(raw.get("name") or ""), email=raw.get("email"),
        role=str(raw.get("role") or "end-user"),
    )  # fmt: skip


def _users(raw: list[dict[str, Any]]) -> list[ZendeskUser]:
    return [_user(u) for u in raw]


def _ticket(raw: dict[str, Any]) -> Ticket:
    def opt_int(value: Any) -> int | None:
        return None if value is None else int(value)

    return Ticket(
        id=int(raw["id"]),
        subject=str(raw.get("subject") or ""),
        status=str(raw["status"]),
        requester_id=int(raw["requester_id"]),
        assignee_id=opt_int(raw.get("assignee_id")),
        group_id=opt_int(raw.get("group_id")),
        tags=tuple(str(t) for t in raw.get("tags") or ()),
        created_at=_time(raw.get("created_at")),
        updated_at=_time(raw.get("updated_at")),
        via_channel=_channel(raw),
        email_cc_ids=_ids(raw.get("email_cc_ids")),
        follower_ids=_ids(raw.get("follower_ids")),
        collaborator_ids=_ids(raw.get("collaborator_ids")),
    )


def _ids(raw: Any) -> tuple[int, ...]:
    return tuple(int(i) for i in raw or ())


def _comments(raw: list[dict[str, Any]]) -> list[Comment]:
    return [_comment(c) for c in raw]


def _comment(raw: dict[str, Any]) -> Comment:
    return Comment(
        id=int(raw["id"]),
        author_id=int(raw["author_id"]),
        body=str(raw.get("body") or ""),
        public=bool(raw.get("public", True)),
        created_at=datetime.fromisoformat(raw["created_at"]),
        html_body=raw.get("html_body"),
        plain_body=raw.get("plain_body"),
        via_channel=_channel(raw),
    )
