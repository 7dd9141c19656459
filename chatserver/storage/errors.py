"""Errors of the storage. Database failures stay SQLAlchemy's: ``DatabaseError`` is
``sqlalchemy.exc.SQLAlchemyError``, named here so nothing outside storage imports SQLAlchemy.

ChatServerError
 └── StorageError
      └── TurnTaken      another worker finished this e-mail turn first; nothing stored
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError as DatabaseError

from chatserver.errors import ChatServerError

__all__ = ["DatabaseError", "StorageError", "TurnTaken"]


class StorageError(ChatServerError):
    """Root of the storage's own errors."""


class TurnTaken(StorageError):
    """A turn's ticket comments already had an outcome: its answer was not stored."""
