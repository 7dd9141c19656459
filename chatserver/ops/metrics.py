"""Prometheus metrics: a tiny in-process registry rendered in the text exposition format.

Only what the server needs (counters, gauges and one latency histogram, each with
labels) in about a hundred lines, instead of a dependency. ``GET /metrics`` serves it.

A label's values must be a small fixed set, or every new value is a new series kept
forever: a counter may name the values a label takes (``allowed``), and any other value
is counted as ``other``. Intents are labelled from the intent catalogue only.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Mapping

from aiohttp import web

from chatserver.dialogue.engine import CONTROL_INTENTS
from nlu.catalogue import INTENTS

__all__ = ["INTENT_LABELS", "OTHER", "Counter", "Gauge", "Histogram", "Metrics", "setup_metrics"]

Labels = tuple[tuple[str, str], ...]
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
OTHER = "other"
# The intent catalogue, the quick replies' control intents, and "none" (nothing understood).
INTENT_LABELS = frozenset({*INTENTS, *CONTROL_INTENTS, "none"})


def _labels(labels: Labels, extra: str = "") -> str:
    parts = [f'{k}="{_escape(v)}"' for k, v in labels]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf"
    return repr(float(value)) if value != int(value) else str(int(value))


class Counter:
    """A value that only goes up, per label set."""

    kind = "counter"

    def __init__(
        self, name: str, help: str, allowed: Mapping[str, Collection[str]] | None = None
    ) -> None:
        self.name, self.help = name, help
        self.allowed = dict(allowed or {})
        self.values: dict[Labels, float] = defaultdict(float)

    def _key(self, labels: dict[str, str]) -> Labels:
        for name, values in self.allowed.items():
            if name in labels and labels[name] not in values:
                labels[name] = OTHER
        return tuple(sorted(labels.items()))

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        self.values[self._key(labels)] += amount

    def value(self, **labels: str) -> float:
        return self.values.get(self._key(labels), 0.0)

    def samples(self) -> list[str]:
        return [f"{self.name}{_labels(k)} {_number(v)}" for k, v in sorted(self.values.items())]


class Gauge(Counter):
    """A value that goes up and down."""

    kind = "gauge"

    def dec(self, amount: float = 1.0, **labels: str) -> None:
        self.inc(-amount, **labels)


class Histogram:
    """Observations counted into cumulative ``le`` buckets, with their sum and count."""

    kind = "histogram"

    def __init__(self, name: str, help: str, buckets: tuple[float, ...] = LATENCY_BUCKETS):
        self.name, self.help = name, help
        self.buckets = (*buckets, math.inf)
        self.counts: dict[Labels, list[int]] = {}
        self.sums: dict[Labels, float] = defaultdict(float)

    def observe(self, value: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        counts = self.counts.setdefault(key, [0] * len(self.buckets))
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                counts[i] += 1
        self.sums[key] += value

    def samples(self) -> list[str]:
        lines = []
        for key, counts in sorted(self.counts.items()):
            for bound, count in zip(self.buckets, counts, strict=True):
                le = f'le="{_number(bound)}"'
                lines.append(f"{self.name}_bucket{_labels(key, le)} {count}")
            lines.append(f"{self.name}_sum{_labels(key)} {_number(self.sums[key])}")
            lines.append(f"{self.name}_count{_labels(key)} {counts[-1]}")
        return lines


class Metrics:
    """Every metric the server exports; one instance per application."""

    def __init__(self) -> None:
        self.connections = Gauge("chatbot_connections", "Open Socket.IO connections.")
        self.connections_total = Counter(
            "chatbot_connections_total", "Socket.IO connections accepted."
        )
        self.refused = Counter(
            "chatbot_refused_total", "Requests refused by a limit or a check, by reason."
        )
        self.turns = Counter("chatbot_turns_total", "Customer messages handled.")
        self.intents = Counter(
            "chatbot_intents_total",
            "Customer messages by predicted intent (catalogue intents; 'other' for the rest).",
            allowed={"intent": INTENT_LABELS},
        )
        self.escalations = Counter("chatbot_escalations_total", "Hand-offs to a person, by reason.")
        self.tickets = Counter(
            "chatbot_tickets_total", "Escalated chats turned into Zendesk tickets."
        )
        self.turn_errors = Counter("chatbot_turn_errors_total", "Turns that failed unexpectedly.")
        self.outside_seconds = Histogram(
            "chatbot_outside_api_seconds", "Latency of outside API requests, by vendor."
        )
        self.outside_errors = Counter(
            "chatbot_outside_api_errors_total", "Failed outside API requests, by vendor and error."
        )

    def observe_outside(self, vendor: str, seconds: float, error: str | None) -> None:
        """The ``integrations.http.Observer`` the API clients report to."""
        self.outside_seconds.observe(seconds, vendor=vendor)
        if error is not None:
            self.outside_errors.inc(vendor=vendor, error=error)

    def render(self) -> str:
        lines: list[str] = []
        for metric in vars(self).values():
            lines.append(f"# HELP {metric.name} {metric.help}")
            lines.append(f"# TYPE {metric.name} {metric.kind}")
            lines.extend(metric.samples())
        return "\n".join(lines) + "\n"


def setup_metrics(app: web.Application, metrics: Metrics) -> None:
    """Serve ``metrics`` at ``GET /metrics``."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=metrics.render().encode(), headers={"Content-Type": CONTENT_TYPE})

    app.router.add_get("/metrics", handler)
