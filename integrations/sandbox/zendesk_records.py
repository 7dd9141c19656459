"""The Zendesk sandbox's records and the shapes it reads and writes: users, tickets,
comments, their JSON, request bodies, tags and comment cursors."""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from integrations.sandbox.zendesk_fields import TAGS_FIELDS, Refused, check_documented
from integrations.webhooks import format_timestamp

__all__ = [
    "AUTH_FAILED",
    "Comment",
    "Ticket",
    "User",
    "comment_json",
    "comment_page",
    "comment_text",
    "decode_cursor",
    "encode_cursor",
    "invalid",
    "require",
    "tags",
    "tags_after",
    "ticket_fields",
    "ticket_json",
    "user_json",
]

AUTH_FAILED = {"error": "Couldn't authenticate you"}


@dataclass
class User:
    id: int
    name: str
    email: str | None
    role: str
    created_at: datetime


@dataclass
class Comment:
    id: int
    author_id: int
    body: str
    html_body: str
    public: bool
    created_at: datetime
    channel: str
    audit_id: int


@dataclass
class Ticket:
    id: int
    subject: str
    status: str
    requester_id: int
    submitter_id: int
    channel: str
    created_at: datetime
    updated_at: datetime
    assignee_id: int | None = None
    group_id: int | None = None
    tags: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    email_ccs: list[int] = field(default_factory=list)
    followers: list[int] = field(default_factory=list)


def invalid(field_name: str, description: str, error: str = "InvalidValue") -> Refused:
    details = {field_name: [{"description": description, "error": error}]}
    return Refused(
        422,
        {"error": "RecordInvalid", "description": "Record validation errors", "details": details},
    )


def require(caller: User | None) -> User:
    if caller is None:
        raise Refused(401, AUTH_FAILED)
    return caller


def ticket_fields(request: httpx.Request) -> dict[str, Any]:
    try:
        data = json.loads(request.content or b"null")
    except (ValueError, UnicodeDecodeError):
        raise Refused(
            400, {"error": "InvalidJSON", "description": "Unable to parse the request body"}
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("ticket"), dict):
        raise invalid("ticket", "Ticket: is missing", "BlankValue")
    return data["ticket"]


def comment_text(comment: Any) -> tuple[str, str]:
    """(plain body, html body) from a comment given as ``body`` or ``html_body``."""
    if not isinstance(comment, dict):
        raise invalid("comment", "Comment: is missing", "BlankValue")
    if comment.get("html_body"):
        markup = str(comment["html_body"])
        text = html.unescape(re.sub(r"<br\s*/?>|</p>", "\n", markup))
        body = re.sub(r"<[^>]+>", "", text).strip()
    else:
        body = str(comment.get("body") or "").strip()
        paragraphs = "<br>".join(html.escape(line) for line in body.splitlines())
        markup = f'<div class="zd-comment" dir="auto"><p>{paragraphs}</p></div>'
    if not body:
        raise invalid("comment", "Comment: body cannot be blank", "BlankValue")
    return body, markup


def tags(raw: Any) -> list[str]:
    if not isinstance(raw, list):
        raise invalid("tags", "Tags: must be a list")
    words = (w.lower() for tag in raw for w in str(tag).split())
    return list(dict.fromkeys(words))


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "active": True,
        "created_at": format_timestamp(user.created_at),
    }


def encode_cursor(position: int, kind: str = "c") -> str:
    """An opaque cursor, as Zendesk's look: ``kind`` tells a comment id ("c") from a list
    position ("a", the help center's articles)."""
    return base64.urlsafe_b64encode(f"{kind}{position}".encode()).decode().rstrip("=")


def decode_cursor(value: str | None, kind: str = "c") -> int | None:
    """What :func:`encode_cursor` encoded (None for no cursor).

    Raises:
        ValueError: not one of our cursors of that kind.
    """
    if not value:
        return None
    padded = value + "=" * (-len(value) % 4)
    try:
        text = base64.urlsafe_b64decode(padded).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(value) from exc
    if not text.startswith(kind) or not text[len(kind) :].isdigit():
        raise ValueError(value)
    return int(text[len(kind) :])


def ticket_json(t: Ticket, base: str) -> dict[str, Any]:
    out = {
        "url": f"{base}/api/v2/tickets/{t.id}.json",
        "id": t.id, "via": {"channel": t.channel}, "subject": t.subject,
        "raw_subject": t.subject, "description": t.comments[0].body if t.comments else "",
        "status": t.status, "requester_id": t.requester_id, "submitter_id": t.submitter_id,
        "assignee_id": t.assignee_id, "group_id": t.group_id,
        "tags": list(t.tags), "custom_fields": [], "is_public": True,
        "collaborator_ids": list(dict.fromkeys(t.email_ccs + t.followers)),
        "email_cc_ids": list(t.email_ccs), "follower_ids": list(t.followers),
        "created_at": format_timestamp(t.created_at),
        "updated_at": format_timestamp(t.updated_at),
    }  # fmt: skip
    # The spec types these as non-null integers: an unset one is left out, not null.
    return {k: v for k, v in out.items() if v is not None}


def comment_json(c: Comment) -> dict[str, Any]:
    return {
        "id": c.id, "type": "Comment", "author_id": c.author_id, "body": c.body,
        "html_body": c.html_body, "plain_body": c.body, "public": c.public,
        "attachments": [], "audit_id": c.audit_id, "via": {"channel": c.channel},
        "created_at": format_timestamp(c.created_at),
    }  # fmt: skip


def comment_page(
    comments: list[Comment], params: httpx.QueryParams
) -> tuple[list[Comment], bool, int]:
    """One page of comments by cursor: ``(page, has_more, page size)``.

    Raises:
        Refused: 400 for a bad cursor or page size.
    """
    comments = list(comments)
    if params.get("sort_order") == "desc":
        comments.reverse()
    try:
        size = int(params.get("page[size]", "100"))
        after = decode_cursor(params.get("page[after]"))
        before = decode_cursor(params.get("page[before]"))
    except ValueError:
        raise Refused(
            400, {"error": "InvalidPaginationParameter", "description": "Invalid cursor"}
        ) from None
    if not 1 <= size <= 100:
        raise Refused(
            400, {"error": "InvalidPaginationParameter", "description": "page[size] must be <= 100"}
        )
    position = {c.id: i for i, c in enumerate(comments)}
    if after is not None:
        start = position.get(after, len(comments) - 1) + 1
        return comments[start : start + size], start + size < len(comments), size
    if before is not None:
        end = position.get(before, 0)
        return comments[max(0, end - size) : end], end - size > 0, size
    return comments[:size], size < len(comments), size


def tags_after(request: httpx.Request, current: list[str]) -> list[str]:
    """A ticket's tags after a Tags endpoint call: PUT adds, POST sets, DELETE removes.

    Raises:
        Refused: a body other than the documented ``{"tags": [...]}``.
    """
    try:
        body = json.loads(request.content or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("tags"), list):
        raise invalid("tags", "Tags: must be a list", "BlankValue")
    check_documented(body, TAGS_FIELDS, "tags")
    given = tags(body["tags"])
    if request.method == "PUT":
        return tags(current + given)
    if request.method == "POST":
        return given
    return [t for t in current if t not in set(given)]
