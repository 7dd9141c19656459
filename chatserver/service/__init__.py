"""The conversation service: what every channel calls, and what it hands back to deliver.

- ``conversations``: ``ConversationService``: sessions, customer turns, summaries, labels.
- ``agents``: ``AgentDesk`` (``service.agents``): join, write, note, hand back, close.
- ``classifier``: the ``Classifier`` protocol and the ``ModelHolder`` hot reload swaps.
- ``records``: ``InboundMessage`` in; ``TurnResult``, ``AgentChange`` and
  ``ConversationSummary`` out.
"""

from __future__ import annotations

from chatserver.errors import AgentRefused, SessionNotFound
from chatserver.service.agents import AgentDesk
from chatserver.service.classifier import Classifier, ModelHolder, Understood, understand
from chatserver.service.conversations import ConversationService
from chatserver.service.records import (
    AgentChange,
    ConversationSummary,
    InboundMessage,
    TurnOutcome,
    TurnResult,
    iso,
    summarise,
)

__all__ = [
    "AgentChange",
    "AgentDesk",
    "AgentRefused",
    "Classifier",
    "ConversationService",
    "ConversationSummary",
    "InboundMessage",
    "ModelHolder",
    "SessionNotFound",
    "TurnOutcome",
    "TurnResult",
    "Understood",
    "iso",
    "summarise",
    "understand",
]
