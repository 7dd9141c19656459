"""Errors of the storage. Database failures stay SQLAlchemy's (``SQLAlchemyError``).

ChatServerError
 └── StorageError
      └── TurnTaken      another worker finished this e-mail turn first; nothing stored
"""

from __future__ import annotations

from chatserver.errors import ChatServerError

__all__ = ["StorageError", "TurnTaken"]


class StorageError(ChatServerError):
    """Root of the storage's own errors."""


class TurnTaken(StorageError):
    """A turn's ticket comments already had an outcome: its answer was not stored."""
