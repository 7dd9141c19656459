"""Channels: how customers and agents reach the conversation service.

Each validates what arrives, calls the service and delivers what it returns. ``chat`` is
the live chat (customers on the default Socket.IO namespace, speaking Rasa's socketio
protocol); ``agent`` is the console's ``/agent`` namespace; the two never hold each
other: ``notifier`` emits to either through the Socket.IO server by namespace name.
``payloads`` holds the JSON shapes of docs/protocol.md, ``lifecycle`` keeps clients from
faking connect/disconnect, ``handoff`` opens the Zendesk ticket of a chat hand-off, and
``zendesk`` is the email channel.
"""

__all__: list[str] = []
