"""Socket.IO lifecycle events come from the server, never from a client.

python-socketio dispatches a client *event* named "connect" or "disconnect" to
``on_connect``/``on_disconnect`` like the real ones: a customer emitting "disconnect"
lost its session and released its connection slot while staying connected. Both
namespaces drop such events in ``trigger_event``, the hook python-socketio documents for
custom dispatch. The two are told apart by the manager's public ``is_connected``: the
server runs the real handlers while the socket is still connecting or already
disconnecting (not connected), and dispatches a client's events only while it is
connected.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio

__all__ = ["LIFECYCLE_EVENTS", "GuardedNamespace"]

log = logging.getLogger(__name__)

LIFECYCLE_EVENTS = frozenset({"connect", "disconnect"})


class GuardedNamespace(socketio.AsyncNamespace):
    """An ``AsyncNamespace`` whose lifecycle handlers only the server can trigger."""

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in LIFECYCLE_EVENTS and args and self._connected(args[0]):
            log.info("dropped a client event named %r", event)
            return None
        return await super().trigger_event(event, *args)

    def _connected(self, sid: Any) -> bool:
        return bool(self.server.manager.is_connected(sid, self.namespace))
