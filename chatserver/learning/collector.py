"""Collect what the model predicted for every customer message, for insight and training.

Every turn stores the prediction row of its customer message in the transaction that
stores its answer (``Storage.finish_turn``): :func:`chatserver.storage.predictions.predicted` builds that row (the
text masked by :func:`chatserver.privacy.mask`). A :class:`Collector` also logs
one line per classified message with the model version, and marks a session's rows
resolved (or not) when it closes; failing to mark a close is only logged. Agents'
labels go straight to the row (``Storage.label_message``, one transaction).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from chatserver.storage import Prediction, StoredMessage
from chatserver.storage.errors import DatabaseError
from chatserver.storage.predictions import PredictionLog, predicted

__all__ = ["Collector"]

log = logging.getLogger(__name__)


class Collector:
    """Logs the predictions and closes their sessions; one per service.

    Args:
        predictions: the prediction log of the service's store (``storage.predictions``).
    """

    def __init__(self, predictions: PredictionLog) -> None:
        self.predictions = predictions

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
        classified: bool = True,
        awaiting: str | None = None,
    ) -> Prediction:
        """:func:`predicted`, and the log line of a classified message."""
        if classified:
            log.info(
                "prediction message=%s session=%s channel=%s intent=%s confidence=%.3f "
                "escalate=%s reason=%s outcome=%s model=%s",
                message.id, message.session_id[:8], channel, intent, confidence,
                escalate, reason or escalation_reason, outcome, model_version,
            )  # fmt: skip
        return predicted(
            message, channel=channel, intent=intent, confidence=confidence, ranking=ranking,
            escalate=escalate, reason=reason, model_version=model_version, outcome=outcome,
            escalation_reason=escalation_reason, classified=classified, awaiting=awaiting,
        )  # fmt: skip

    async def closed(self, session_id: str) -> None:
        """The session ended: were its messages resolved without a person?"""
        try:
            resolved = await self.predictions.close_session(session_id)
        except DatabaseError:
            log.exception("could not mark the predictions of session %s", session_id[:8])
            return
        log.info("session=%s closed resolved_without_human=%s", session_id[:8], resolved)
