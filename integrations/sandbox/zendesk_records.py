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

from integrations.sandbox.zendesk_fields import Refused
from integrations.webhooks import format_timestamp

__all__ = [
    "AUTH_FAILED",
    "Comment",
    "Ticket",
    "User",
    "comment_text",
    "decode_cursor",
    "encode_cursor",
    "invalid",
    "require",
    "tags",
    "ticket_fields",
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


def encode_cursor(comment_id: int) -> str:
    return base64.urlsafe_b64encode(f"c{comment_id}".encode()).decode().rstrip("=")


def decode_cursor(value: str | None) -> int | None:
    if not value:
        return None
    padded = value + "=" * (-len(value) % 4)
    try:
        text = base64.urlsafe_b64decode(padded).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(value) from exc
    if not text.startswith("c"):
        raise ValueError(value)
    return int(text[1:])
