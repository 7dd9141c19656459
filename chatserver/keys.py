"""Every typed key of the aiohttp application, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from aiohttp import web

from chatserver.settings import Settings

if TYPE_CHECKING:
    import socketio

    from chatserver.channels.chat import ChatNamespace
    from chatserver.ops.limits import ChatLimits
    from chatserver.ops.metrics import Metrics
    from chatserver.service import ConversationService
    from chatserver.storage import Storage
    from chatserver.web.auth import AgentAuth
    from integrations.sandbox.app import Sandboxes
    from integrations.zendesk import ZendeskClient

__all__ = [
    "AGENT_AUTH",
    "CHAT",
    "CLASSIFIER",
    "HTTP",
    "LIMITS",
    "METRICS",
    "SANDBOXES",
    "SERVICE",
    "SETTINGS",
    "SOCKETIO",
    "STORAGE",
    "ZENDESK",
]

SETTINGS = web.AppKey("settings", Settings)
CLASSIFIER = web.AppKey("classifier", object)  # a stand-in model (tests); else the installed one
HTTP = web.AppKey("http", httpx.AsyncClient)  # the one outgoing HTTP client
STORAGE: web.AppKey[Storage] = web.AppKey("storage")
SERVICE: web.AppKey[ConversationService] = web.AppKey("service")
ZENDESK: web.AppKey[ZendeskClient] = web.AppKey("zendesk")
SANDBOXES: web.AppKey[Sandboxes] = web.AppKey("sandboxes")  # demo mode only
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
SOCKETIO: web.AppKey[socketio.AsyncServer] = web.AppKey("socketio")
CHAT: web.AppKey[ChatNamespace] = web.AppKey("chat")  # the customer namespace
AGENT_AUTH: web.AppKey[AgentAuth] = web.AppKey("agent_auth")
LIMITS: web.AppKey[ChatLimits] = web.AppKey("limits")  # tests may replace it before start-up
