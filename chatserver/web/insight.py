"""The figures of the agents' dashboard, computed from the store.

Over a window of days ending at ``now`` (UTC days):

- customer messages per day and channel;
- conversations (sessions with a customer message in the window), and how many were
  resolved without a person (no hand-off, no agent message, not owned by a person):
  the automation rate; the escalation rate and the hand-offs' reasons;
- the predicted intents and a confidence histogram (from the prediction log);
- outside-API failures: hand-offs with reason ``integration_failure`` (stored) and the
  ``chatbot_outside_api_errors_total`` counts of this process (since it started);
- help-center answers: how many were shown, and what came of them (helped, did not
  help, a person next), in all and by article;
- the newest unlabelled low-confidence or escalated messages, and article answers that
  did not help (with the article offered), for agents to label.

Grouping is done here rather than in SQL so SQLite and PostgreSQL give the same days.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chatserver.storage import Prediction
from chatserver.storage.statistics import Statistics

__all__ = ["BINS", "INTEGRATION_FAILURE", "ArticleFigures", "Stats", "compute_stats"]

BINS = 10  # confidence histogram: [0, .1), [.1, .2) ... [.9, 1]
INTEGRATION_FAILURE = "integration_failure"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class ArticleFigures:
    """Answers from one help-center article (or from all: ``article_id`` None)."""

    article_id: str | None
    title: str
    shown: int = 0
    helped: int = 0
    not_helped: int = 0
    handed_off: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "shown": self.shown,
            "helped": self.helped,
            "not_helped": self.not_helped,
            "handed_off": self.handed_off,
        }


@dataclass(frozen=True)
class Stats:
    """The dashboard's figures; ``to_json`` is ``GET /agent/api/stats``."""

    days: tuple[str, ...]  # YYYY-MM-DD, oldest first
    messages_per_day: dict[str, tuple[int, ...]]  # channel -> count per day
    conversations: int
    automated: int
    escalated: int
    escalation_reasons: dict[str, int]
    intents: dict[str, int]
    confidence_histogram: tuple[int, ...]
    integration_failures: int
    outside_errors: dict[str, int]  # "vendor: error" -> count, this process
    to_label: tuple[Prediction, ...] = field(default=())
    articles: ArticleFigures = ArticleFigures(None, "all articles")
    by_article: tuple[ArticleFigures, ...] = ()  # most shown first

    @property
    def automation_rate(self) -> float:
        return self.automated / self.conversations if self.conversations else 0.0

    @property
    def escalation_rate(self) -> float:
        return self.escalated / self.conversations if self.conversations else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "days": list(self.days),
            "messages_per_day": {k: list(v) for k, v in self.messages_per_day.items()},
            "conversations": self.conversations,
            "automated": self.automated,
            "automation_rate": round(self.automation_rate, 4),
            "escalated": self.escalated,
            "escalation_rate": round(self.escalation_rate, 4),
            "escalation_reasons": self.escalation_reasons,
            "intents": self.intents,
            "confidence_histogram": list(self.confidence_histogram),
            "integration_failures": self.integration_failures,
            "outside_errors": self.outside_errors,
            "articles": {
                **self.articles.to_json(),
                "by_article": [a.to_json() for a in self.by_article],
            },
            "to_label": [
                {
                    "message_id": p.message_id,
                    "session_id": p.session_id,
                    "channel": p.channel,
                    "text": p.text,
                    "intent": p.intent,
                    "confidence": round(p.confidence, 4),
                    "reason": p.reason or p.escalation_reason,
                    "at": p.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "article": None
                    if p.article_id is None
                    else {
                        "article_id": p.article_id,
                        "title": p.article_title,
                        "confidence": round(p.article_confidence or 0.0, 4),
                        "feedback": p.article_feedback,
                    },
                }
                for p in self.to_label
            ],
        }


def _sorted(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


async def compute_stats(
    stats: Statistics,
    *,
    now: datetime,
    days: int = 14,
    low_confidence: float = 0.6,
    newest: int = 20,
    outside_errors: dict[str, int] | None = None,
) -> Stats:
    """The dashboard's figures over the ``days`` UTC days up to and including ``now``'s."""
    now = _utc(now)
    first = (now - timedelta(days=days - 1)).date()
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    day_names = tuple((first + timedelta(days=i)).isoformat() for i in range(days))
    index = {d: i for i, d in enumerate(day_names)}
    activity = await stats.activity(since, low_confidence=low_confidence, newest=newest)

    per_day: dict[str, list[int]] = {}
    for m in activity.customer_messages:
        day = m.at.date().isoformat()
        if day in index:
            per_day.setdefault(m.channel, [0] * days)[index[day]] += 1

    automated = escalated = 0
    reasons: Counter[str] = Counter()
    for s in activity.sessions:
        handed_off = s.escalation_reason is not None or "bot_escalated" in s.tags
        if handed_off:
            escalated += 1
            # the reason of each hand-off the session had (its tags keep them)
            tagged = {t.removeprefix("reason_") for t in s.tags if t.startswith("reason_")}
            for reason in tagged or {s.escalation_reason or "unknown"}:
                reasons[reason] += 1
        if not handed_off and s.id not in activity.with_agent and s.owner != "human":
            automated += 1

    intents: Counter[str] = Counter()
    histogram = [0] * BINS
    failures = 0
    for p in activity.predictions:
        intents[p.intent or "none"] += 1
        histogram[min(int(p.confidence * BINS), BINS - 1)] += 1
        failures += p.escalation_reason == INTEGRATION_FAILURE

    by_article = _article_figures(activity.predictions)
    return Stats(
        days=day_names,
        messages_per_day={k: tuple(v) for k, v in sorted(per_day.items())},
        conversations=len(activity.sessions),
        automated=automated,
        escalated=escalated,
        escalation_reasons=_sorted(reasons),
        intents=_sorted(intents),
        confidence_histogram=tuple(histogram),
        integration_failures=failures,
        outside_errors=dict(sorted((outside_errors or {}).items())),
        to_label=activity.to_label,
        articles=_article_total(by_article),
        by_article=by_article,
    )


def _article_figures(predictions: tuple[Prediction, ...]) -> tuple[ArticleFigures, ...]:
    counts: dict[str, Counter[str]] = {}
    titles: dict[str, str] = {}
    for p in predictions:
        if p.article_id is None:
            continue
        counts.setdefault(p.article_id, Counter())["shown"] += 1
        if p.article_feedback:
            counts[p.article_id][p.article_feedback] += 1
        titles[p.article_id] = p.article_title or p.article_id
    figures = [
        ArticleFigures(aid, titles[aid], c["shown"], c["helped"], c["not_helped"], c["handed_off"])
        for aid, c in counts.items()
    ]
    return tuple(sorted(figures, key=lambda f: (-f.shown, f.title)))


def _article_total(by_article: tuple[ArticleFigures, ...]) -> ArticleFigures:
    return ArticleFigures(
        None,
        "all articles",
        sum(f.shown for f in by_article),
        sum(f.helped for f in by_article),
        sum(f.not_helped for f in by_article),
        sum(f.handed_off for f in by_article),
    )
