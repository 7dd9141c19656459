"""Channels: how customers and agents reach the conversation service.

``socketio`` is the live chat (customers on the default Socket.IO namespace, speaking
Rasa's socketio protocol); ``agent`` is the console's ``/agent`` namespace.
"""

__all__: list[str] = []
