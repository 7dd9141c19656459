"""Turn records → rows of figures, and the tables and JSON the commands print."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["percentile", "print_table", "summarise", "write_json"]

TurnRecord = Sequence[Any]  # (group, kind, start, end, outcome)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summarise(
    turns: Iterable[TurnRecord], start: float, end: float, key: int = 1
) -> dict[str, dict[str, Any]]:
    """Per value of column ``key`` (1: kind, 0: group) plus ``all``: the turns that ended
    inside [start, end] (whenever they started), their rate and latency percentiles in
    milliseconds. ``all`` is always there, empty when nothing ended in the window."""
    window = end - start
    rows: dict[str, list[float]] = {}
    outcomes: dict[str, dict[str, int]] = {"all": {}}
    for t in turns:
        if not start <= t[3] <= end:
            continue
        for name in (t[key], "all"):
            outcomes.setdefault(name, {}).setdefault(t[4], 0)
            outcomes[name][t[4]] += 1
            if t[4] in ("ok", "wrong"):
                rows.setdefault(name, []).append((t[3] - t[2]) * 1000)
    out = {}
    for name in sorted(outcomes, key=lambda n: (n == "all", n)):
        lat = rows.get(name, [])
        out[name] = {
            "turns": len(lat),
            "turns_per_s": round(len(lat) / window, 1) if window > 0 else math.nan,
            "p50_ms": round(percentile(lat, 50), 1),
            "p95_ms": round(percentile(lat, 95), 1),
            "p99_ms": round(percentile(lat, 99), 1),
            "max_ms": round(max(lat), 1) if lat else math.nan,
            "outcomes": outcomes[name],
        }
    return out


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """A plain aligned table of ``rows`` (dicts) over ``columns``."""
    cells = [[_fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.1f}"
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def write_json(path: str | Path | None, payload: dict[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
