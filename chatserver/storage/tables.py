"""Every table of the store, as the newest migration leaves it.

One ``MetaData`` for the whole database; the repositories build their statements from
these tables and nothing else does. How the tables got here (versions 1 to 3, and the
step to this shape) is :mod:`chatserver.storage.migrations`.

Where each fact lives:

``sessions``     a conversation: channel, owner, status, dialogue state, summary, tags.
``messages``     what was said, by whom, when; nothing the bot inferred from it.
``predictions``  one row per customer message a turn handled, written in that turn's
                 transaction: what the bot understood (intent, confidence, ranking, the
                 model version; ``classified`` false for a button's payload), what came
                 of it (``outcome``), an agent's ``label`` and its review, and at close
                 whether the conversation was ``resolved`` without a person. A customer
                 message without one is a turn that never finished.
``zendesk_*``    the e-mail channel's queue: inbound events, tickets as units of work,
                 each customer comment's outcome, and the reply outbox
                 (:mod:`chatserver.storage.zendesk_queue`).
``agent_sessions`` the console's signed-in sessions, by a hash of the cookie's token
                 (:mod:`chatserver.storage.agent_sessions`): signing out deletes the row.

Every time is a timezone-aware timestamp, written in UTC.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "TIME",
    "agent_sessions",
    "answered",
    "events",
    "messages",
    "metadata",
    "outbox",
    "predictions",
    "schema_version",
    "sessions",
    "tickets",
]

TIME = sa.DateTime(timezone=True)

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", TIME, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("external_ref", sa.String(128)),
    sa.Column("owner", sa.String(8), nullable=False, server_default="bot"),
    sa.Column("status", sa.String(8), nullable=False, server_default="bot"),
    sa.Column("agent", sa.String(128)),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("slots", sa.JSON, nullable=False),
    sa.Column("escalation_reason", sa.Text),
    sa.Column("summary", sa.Text, nullable=False, server_default=""),
    sa.Column("customer_email", sa.String(320)),
    sa.Column("order_name", sa.String(64)),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("created_at", TIME, nullable=False),
    sa.Column("updated_at", TIME, nullable=False),
    sa.Index("ix_sessions_external_ref", "channel", "external_ref"),
    sa.Index("ix_sessions_status_updated", "status", "updated_at"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "session_id", sa.String(64), sa.ForeignKey("sessions.id"), nullable=False, index=True
    ),
    sa.Column("sender", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("quick_replies", sa.JSON),
    sa.Column("agent_name", sa.String(128)),
    sa.Column("client_message_id", sa.String(128)),
    sa.Column("created_at", TIME, nullable=False),
    # ids are never reused, even after deletes (SQLite needs AUTOINCREMENT for that)
    sqlite_autoincrement=True,
)

predictions = sa.Table(
    "predictions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id"), nullable=False, unique=True),
    sa.Column("session_id", sa.String(64), nullable=False, index=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),  # masked (chatserver.privacy)
    sa.Column("intent", sa.String(64)),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("ranking", sa.JSON, nullable=False),  # [[intent, p], ...] top 3
    sa.Column("escalate", sa.Boolean, nullable=False),
    sa.Column("reason", sa.String(32)),  # the model's reason to escalate
    sa.Column("model_version", sa.String(128), nullable=False),
    sa.Column("outcome", sa.String(12), nullable=False),  # answered | escalated | human
    sa.Column("escalation_reason", sa.String(64)),  # the hand-off's reason
    sa.Column("label", sa.String(64)),
    sa.Column("labelled_by", sa.String(128)),
    sa.Column("labelled_at", TIME),
    sa.Column("reviewed", sa.String(12)),  # pending | accepted | rejected, once labelled
    sa.Column("resolved", sa.Boolean),  # set at session close
    sa.Column("created_at", TIME, nullable=False),
    # false: the intent came from a button's payload, not from the model
    sa.Column("classified", sa.Boolean, nullable=False, server_default=sa.true()),
    # the help-center article the bot answered with (migration 5), and what came of it:
    # helped | not_helped (the customer's Yes / No) | handed_off (a person next)
    sa.Column("article_id", sa.String(64)),
    sa.Column("article_title", sa.String(255)),
    sa.Column("article_confidence", sa.Float),
    sa.Column("article_feedback", sa.String(16)),
    # what the bot's question before this message asked for (email, order_number...):
    # an answer to it is not a message for the label queue (migration 7)
    sa.Column("awaiting", sa.String(32)),
    sa.Index("ix_predictions_created", "created_at"),
    sa.Index("ix_predictions_reviewed", "reviewed"),
    sqlite_autoincrement=True,
)

events = sa.Table(
    "zendesk_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("comment_id", sa.BigInteger),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("invocation_id", sa.String(128)),
    sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("received_at", TIME, nullable=False),
    sa.Column("processed_at", TIME),
    sqlite_autoincrement=True,
)

tickets = sa.Table(
    "zendesk_tickets",
    metadata,
    sa.Column("ticket_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(12), nullable=False),  # pending | working | idle
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("claimed_generation", sa.Integer, nullable=False),
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("lease_until", TIME),
    sa.Column("available_at", TIME, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_zendesk_tickets_status", "status", "available_at"),
)

answered = sa.Table(
    "zendesk_answered",
    metadata,
    sa.Column("ticket_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("comment_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # replied|escalated|ignored|skipped
    sa.Column("reason", sa.String(64)),
    sa.Column("outbox_id", sa.Integer),
    sa.Column("created_at", TIME, nullable=False),
)

outbox = sa.Table(
    "zendesk_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("kind", sa.String(12), nullable=False),  # reply | escalate | tag
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("answers_comment_id", sa.BigInteger, nullable=False),
    sa.Column("author_id", sa.BigInteger),
    sa.Column("group_id", sa.BigInteger),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # pending | sending | sent | failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("lease_until", TIME),
    sa.Column("available_at", TIME, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", TIME, nullable=False),
    sa.Column("sent_at", TIME),
    sa.Index("ix_zendesk_outbox_status", "status", "ticket_id"),
    sqlite_autoincrement=True,
)

agent_sessions = sa.Table(
    "agent_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # sha256 of the cookie's token
    sa.Column("username", sa.String(200), nullable=False, index=True),
    # a hash of the password hash the agent signed in with: a new password ends the session
    sa.Column("password_tag", sa.String(64), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", TIME, nullable=False),
    sa.Column("expires_at", TIME, nullable=False, index=True),
)
