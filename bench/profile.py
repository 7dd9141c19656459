"""Summarise a py-spy ``--format raw`` profile (collapsed stacks) into its top frames."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["top_frames"]

LINE = re.compile(r":\d+\)$")


def _frame(text: str) -> str:
    # "handle (chatserver/service.py:120)" -> "handle (chatserver/service.py)"
    text = LINE.sub(")", text.strip())
    return text.replace("/work/main/.venv/lib/python3.11/site-packages/", "").replace(
        "/work/main/", ""
    )


def top_frames(raw: Path, out: Path | None = None, n: int = 25) -> dict[str, Any]:
    """Self and inclusive sample shares of the ``n`` busiest frames; written to ``out``."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [_frame(f) for f in stack.split(";") if f.strip()]
        if not frames:
            continue
        total += samples
        own[frames[-1]] += samples
        for f in set(frames):
            inclusive[f] += samples
    share = {"self": [], "inclusive": []}  # type: dict[str, list[tuple[str, float]]]
    for name, counter in (("self", own), ("inclusive", inclusive)):
        share[name] = (
            [(f, round(100 * c / total, 1)) for f, c in counter.most_common(n)] if total else []
        )
    result: dict[str, Any] = {"samples": total, **share}
    if out is not None:
        lines = [f"{total} samples"]
        for name in ("self", "inclusive"):
            lines.append(f"\n{name} time, % of samples:")
            lines += [f"{pct:6.1f}  {f}" for f, pct in share[name]]
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return result
