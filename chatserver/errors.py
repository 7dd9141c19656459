"""Errors of the chat server.

ChatServerError
 └── ConfigError        bad or missing configuration, reported at start-up
"""

from __future__ import annotations

__all__ = ["ChatServerError", "ConfigError"]


class ChatServerError(Exception):
    """Root of the chat server's own errors."""


class ConfigError(ChatServerError):
    """The configuration file or a setting is invalid; the message says which and why."""
