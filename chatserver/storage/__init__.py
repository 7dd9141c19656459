"""Persistence behind one interface: ``Storage``; ``SqlStorage`` for SQLite and PostgreSQL."""

from __future__ import annotations

from chatserver.storage.base import Storage
from chatserver.storage.records import (
    OWNERS,
    SENDERS,
    STATUSES,
    QuickReply,
    Session,
    StoredMessage,
)
from chatserver.storage.sql import SqlStorage

__all__ = [
    "OWNERS",
    "SENDERS",
    "STATUSES",
    "QuickReply",
    "Session",
    "SqlStorage",
    "Storage",
    "StoredMessage",
]
