"""The one storage object: ``SqlStorage`` on SQLAlchemy 2 async Core, SQLite (aiosqlite)
by default, PostgreSQL (asyncpg) in production."""

from __future__ import annotations

import sqlalchemy as sa

from chatserver.storage.agent_sessions import AgentSessions
from chatserver.storage.conversations import Conversations
from chatserver.storage.database import Database
from chatserver.storage.predictions import PredictionLog
from chatserver.storage.statistics import Statistics
from chatserver.storage.zendesk_queue import ZendeskQueue

__all__ = ["SqlStorage"]


class SqlStorage(Conversations):
    """Everything the server keeps, in one SQL database addressed by a SQLAlchemy URL.

    It owns the database (engine, tables, migrations: :class:`~chatserver.storage.
    database.Database`) and is itself the conversations repository the service talks to
    (the ``Storage`` protocol); its other repositories share the same database, retry
    rule and time type: ``predictions`` (the prediction log), ``zendesk`` (the e-mail
    channel's queue), ``stats`` (the dashboard's figures, start-up recovery) and
    ``agent_sessions`` (the console's signed-in sessions).

    Args:
        url: e.g. ``sqlite+aiosqlite:///var/chatbot.sqlite3`` or
            ``postgresql+asyncpg://user:pw@host/db``. ``sqlite+aiosqlite://`` is in memory.
    """

    def __init__(self, url: str | sa.URL) -> None:
        self.database = Database(url)
        super().__init__(self.database)
        self.predictions = PredictionLog(self.database)
        self.zendesk = ZendeskQueue(self.database)
        self.stats = Statistics(self.database)
        self.agent_sessions = AgentSessions(self.database)

    @property
    def url(self) -> sa.URL:
        return self.database.url

    async def start(self) -> None:
        """Connect and migrate the schema to the newest version."""
        await self.database.start()

    async def aclose(self) -> None:
        await self.database.aclose()
