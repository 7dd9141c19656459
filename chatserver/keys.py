"""Every typed key of the aiohttp application, in one place.

The value types are imported for the type checker only: this module imports nothing of
the server at run time, so any module may use the keys without an import cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from aiohttp import web

if TYPE_CHECKING:
    import socketio

    from chatserver.channels.notifier import Notifier
    from chatserver.helpcenter import HelpCenter
    from chatserver.ops.helpcenter import HelpCenterSync
    from chatserver.ops.limits import ChatLimits
    from chatserver.ops.metrics import Metrics
    from chatserver.ops.presence import LocalPresence
    from chatserver.ops.proxies import TrustedProxies
    from chatserver.service import Classifier, ConversationService, ModelHolder
    from chatserver.settings import Settings
    from chatserver.storage import Storage
    from chatserver.web.auth import AgentAuth
    from integrations.sandbox.app import Sandboxes
    from integrations.zendesk import ZendeskClient

__all__ = [
    "AGENT_AUTH",
    "CLASSIFIER",
    "HELPCENTER",
    "HELPCENTER_SYNC",
    "HTTP",
    "LIMITS",
    "METRICS",
    "MODEL",
    "NOTIFIER",
    "PRESENCE",
    "PROXIES",
    "SANDBOXES",
    "SERVICE",
    "SETTINGS",
    "SOCKETIO",
    "STORAGE",
    "ZENDESK",
]

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
CLASSIFIER: web.AppKey[Classifier] = web.AppKey("classifier")  # a stand-in model (tests)
MODEL: web.AppKey[ModelHolder] = web.AppKey("model")  # the serving model; hot reload swaps it
HTTP = web.AppKey("http", httpx.AsyncClient)  # the one outgoing HTTP client
STORAGE: web.AppKey[Storage] = web.AppKey("storage")
SERVICE: web.AppKey[ConversationService] = web.AppKey("service")
ZENDESK: web.AppKey[ZendeskClient] = web.AppKey("zendesk")
SANDBOXES: web.AppKey[Sandboxes] = web.AppKey("sandboxes")  # demo mode only
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
SOCKETIO: web.AppKey[socketio.AsyncServer] = web.AppKey("socketio")
NOTIFIER: web.AppKey[Notifier] = web.AppKey("notifier")  # emits to customers and agents
PRESENCE: web.AppKey[LocalPresence] = web.AppKey("presence")  # agents online, any process
AGENT_AUTH: web.AppKey[AgentAuth] = web.AppKey("agent_auth")
HELPCENTER: web.AppKey[HelpCenter] = web.AppKey("helpcenter")  # the answers a sync swaps
HELPCENTER_SYNC: web.AppKey[HelpCenterSync] = web.AppKey("helpcenter_sync")  # with a source
LIMITS: web.AppKey[ChatLimits] = web.AppKey("limits")  # tests may replace it before start-up
PROXIES: web.AppKey[TrustedProxies] = web.AppKey("proxies")  # who the client is behind them
