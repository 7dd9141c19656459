"""Errors of the chat server.

ChatServerError
 ├── ConfigError        bad or missing configuration, reported at start-up
 ├── SessionNotFound    no session with that id
 └── AgentRefused       an agent's action does not apply (someone else owns the chat…)
"""

from __future__ import annotations

__all__ = ["AgentRefused", "ChatServerError", "ConfigError", "SessionNotFound"]


class ChatServerError(Exception):
    """Root of the chat server's own errors."""


class ConfigError(ChatServerError):
    """The configuration file or a setting is invalid; the message says which and why."""


class SessionNotFound(ChatServerError):
    """No session with that id."""


class AgentRefused(ChatServerError):
    """What an agent asked for does not apply now; the message says why, for the console."""
