"""Collect what the model predicted for every customer message, for insight and training.

The conversation service calls a :class:`Collector` after each classified turn, when an
agent labels a message and when a session closes. The collector masks the text
(:func:`chatserver.learning.privacy.mask`), logs one line with the model version, and builds the
row of the prediction log (:class:`~chatserver.storage.predictions.PredictionStore`). The
service stores that row in the transaction that stores the turn's answer: one write per
turn, and an answer is never stored without its prediction (nor the other way round).
Labels and session closes are written here; failing to mark a close is only logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from chatserver.learning.privacy import mask
from chatserver.storage import StoredMessage
from chatserver.storage.predictions import Prediction, PredictionStore

__all__ = ["RANKING_KEPT", "Collector"]

log = logging.getLogger(__name__)

RANKING_KEPT = 3


class Collector:
    """Writes the prediction log; one per service.

    Args:
        store: the prediction log of the service's database.
    """

    def __init__(self, store: PredictionStore) -> None:
        self.store = store

    def prediction(
        self,
        message: StoredMessage,
        *,
        channel: str,
        intent: str | None,
        confidence: float,
        ranking: Sequence[tuple[str, float]],
        escalate: bool,
        reason: str | None,
        model_version: str,
        outcome: str,
        escalation_reason: str | None = None,
    ) -> Prediction:
        """The log line and the row of one classified customer message and its turn.

        The service stores the row with the turn's answer (``Storage.finish_turn``), in
        the same transaction, so a turn costs one write, not two.
        """
        log.info(
            "prediction message=%s session=%s channel=%s intent=%s confidence=%.3f "
            "escalate=%s reason=%s outcome=%s model=%s",
            message.id, message.session_id[:8], channel, intent, confidence,
            escalate, reason or escalation_reason, outcome, model_version,
        )  # fmt: skip
        return Prediction(
            message_id=message.id,
            session_id=message.session_id,
            channel=channel,
            text=mask(message.text),
            intent=intent,
            confidence=confidence,
            ranking=tuple(ranking)[:RANKING_KEPT],
            escalate=escalate,
            reason=reason,
            model_version=model_version,
            outcome=outcome,
            escalation_reason=escalation_reason,
            created_at=message.ts,
        )

    async def label(
        self, message: StoredMessage, intent: str, *, channel: str, by: str | None, at: datetime
    ) -> None:
        """An agent's intent for a customer message, into the review queue.

        A message without a logged prediction (stored before the log existed, or a
        button press) gets one first, so every label lands in the queue.
        """
        if await self.store.get(message.id) is None:
            await self.store.record(
                Prediction(
                    message_id=message.id,
                    session_id=message.session_id,
                    channel=channel,
                    text=mask(message.text),
                    intent=message.intent,
                    confidence=float(message.confidence or 0.0),
                    ranking=(),
                    escalate=False,
                    reason=None,
                    model_version="unknown",
                    outcome="human",
                    created_at=message.ts,
                )
            )
        await self.store.label(message.id, intent, by=by, at=at)
        log.info("label message=%s intent=%s by=%s", message.id, intent, by)

    async def closed(self, session_id: str) -> None:
        """The session ended: were its messages resolved without a person?"""
        try:
            resolved = await self.store.close_session(session_id)
        except SQLAlchemyError:
            log.exception("could not mark the predictions of session %s", session_id[:8])
            return
        log.info("session=%s closed resolved_without_human=%s", session_id[:8], resolved)
