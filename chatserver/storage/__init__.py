"""Persistence behind one object: ``SqlStorage`` (SQLite or PostgreSQL) owns the engine,
the tables and the migrations; its repositories are the only code that writes SQL.

    tables          every table (the newest schema); schema_v3: the frozen old one
    migrations      versioned steps to the newest schema (migration_v4: the last one)
    database        the engine, one transaction per operation, the one retry rule
    conversations   sessions, messages, a turn's transactions (the ``Storage`` protocol)
    predictions     the prediction log: what the bot understood, agents' labels
    zendesk_queue   the e-mail channel's events, tickets, outcomes and outbox
    zendesk_records its records, and what a ticket turn writes (also in finish_turn)
    statistics      the dashboard's figures and start-up recovery's query
    locks           per-session turn locks (PostgreSQL advisory locks across processes)
    agent_sessions  the agent console's signed-in sessions (sign-out deletes them)
"""

from __future__ import annotations

from chatserver.storage.base import Storage
from chatserver.storage.errors import StorageError, TurnTaken
from chatserver.storage.predictions import Prediction
from chatserver.storage.records import (
    OWNERS,
    SENDERS,
    STATUSES,
    QuickReply,
    Session,
    StoredMessage,
)
from chatserver.storage.sql import SqlStorage
from chatserver.storage.zendesk_records import OutboxItem, OutboxRow, TicketJob, TicketTurn

__all__ = [
    "OWNERS",
    "SENDERS",
    "STATUSES",
    "OutboxItem",
    "OutboxRow",
    "Prediction",
    "QuickReply",
    "Session",
    "SqlStorage",
    "Storage",
    "StorageError",
    "StoredMessage",
    "TicketJob",
    "TicketTurn",
    "TurnTaken",
]
