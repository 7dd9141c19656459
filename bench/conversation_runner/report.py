"""The benchmark's report: success rate by category, the failures, the transcripts, JSON.

A conversation succeeds when every judged expectation holds. One whose only gaps are
expectations the service cannot report yet (``Capabilities``) is "not checkable": it
is counted apart and never as a success, so the rate is passed / run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any, TextIO

from bench.conversation_runner.records import Capabilities, Result, Seen

__all__ = ["Tally", "as_json", "print_report", "tally"]


class Tally:
    """Passed, failed and not checkable among some conversations."""

    def __init__(self, results: Iterable[Result]) -> None:
        outcomes = Counter(r.outcome for r in results)
        self.passed = outcomes["passed"]
        self.failed = outcomes["failed"]
        self.unchecked = outcomes["unchecked"]

    @property
    def run(self) -> int:
        return self.passed + self.failed + self.unchecked

    @property
    def rate(self) -> float:
        return 100.0 * self.passed / self.run if self.run else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "passed": self.passed,
            "failed": self.failed,
            "not_checkable": self.unchecked,
            "rate": round(self.rate, 1),
        }


def tally(results: Sequence[Result]) -> dict[str, Tally]:
    """By category (sorted), then ``all`` and ``fast`` (the CI subset)."""
    rows = {c: Tally(r for r in results if r.category == c) for c in sorted({r.category for r in results})}  # fmt: skip
    rows["all"] = Tally(results)
    rows["fast"] = Tally(r for r in results if r.fast)
    return rows


def _table(results: Sequence[Result], out: TextIO) -> None:
    print(f"{'category':<24}{'run':>5}{'passed':>8}{'failed':>8}{'n/c':>6}{'rate':>9}", file=out)
    for name, t in tally(results).items():
        if name == "all":
            print("-" * 60, file=out)
        label = "fast (CI subset)" if name == "fast" else name
        print(f"{label:<24}{t.run:>5}{t.passed:>8}{t.failed:>8}{t.unchecked:>6}{t.rate:>8.1f}%", file=out)  # fmt: skip


def _transcript(turns: Sequence[Seen], out: TextIO) -> None:
    for seen in turns:
        sent = seen.sent.strip().replace("\n", "\n         ")
        print(f"    {seen.index}. {seen.kind}: {sent}", file=out)
        for m in seen.messages:
            author = f"{m.sender} ({m.agent_name})" if m.agent_name else m.sender
            text = m.text.strip().replace("\n", "\n           ")
            print(f"         {author}: {text}", file=out)
            if m.buttons:
                print(f"         [{' | '.join(t for t, _ in m.buttons)}]", file=out)
        facts = []
        if seen.intents is not None:
            facts.append(f"intent {', '.join(seen.intents) or '-'}")
        if seen.act is not None:
            facts.append(f"act {seen.act}")
        if seen.state is not None:
            facts.append(f"state {seen.state}")
        if seen.names_shown:
            facts.append(f"header shows {', '.join(seen.names_shown)}")
        if facts:
            print(f"         ({'; '.join(facts)})", file=out)
        if seen.note:
            print("         " + seen.note.strip().replace("\n", "\n         "), file=out)


def print_report(
    results: Sequence[Result], caps: Capabilities, out: TextIO, *, verbose: bool = False
) -> None:
    """The failures (with transcripts if ``verbose``), then the breakdowns and the table."""
    for r in results:
        if r.outcome == "passed" and not verbose:
            continue
        head = {"failed": "FAIL", "unchecked": "N/C ", "passed": "PASS"}[r.outcome]
        print(f"{head} {r.id} ({r.category}, {r.channel})", file=out)
        if r.why and r.outcome != "passed":
            print(f"    why: {r.why}", file=out)
        for c in (c for c in r.checks if c.status != "pass"):
            where = "outcome" if c.turn is None else f"turn {c.turn}"
            mark = "" if c.status == "fail" else " (not checkable)"
            print(f"    {where} {c.key}{mark}: {c.detail}", file=out)
        if verbose:
            _transcript(r.turns, out)
    failing = Counter(c.key for r in results for c in r.failures)
    if failing:
        keys = ", ".join(f"{k} {n}" for k, n in failing.most_common())
        print(f"\nfailed checks by key: {keys}", file=out)
    gaps = Counter(c.key for r in results for c in r.unchecked)
    if gaps:
        missing = [name for name, ok in asdict(caps).items() if not ok]
        keys = ", ".join(f"{k} {n}" for k, n in gaps.most_common())
        print(f"not checkable (the service does not report {', '.join(missing)}): {keys}", file=out)
    print(file=out)
    _table(results, out)


def _turn_json(seen: Seen) -> dict[str, Any]:
    out = asdict(seen)
    out["intents"] = list(seen.intents) if seen.intents is not None else None
    out["act"] = None if seen.act is None else str(seen.act)
    return out


def as_json(results: Sequence[Result], caps: Capabilities, model: str) -> dict[str, Any]:
    """Everything, for tools: the table, each conversation's checks and transcript."""
    return {
        "model": model,
        "capabilities": asdict(caps),
        "categories": {name: t.to_json() for name, t in tally(results).items()},
        "conversations": [
            {
                "id": r.id,
                "category": r.category,
                "channel": r.channel,
                "fast": r.fast,
                "outcome": r.outcome,
                "seconds": round(r.seconds, 3),
                "checks": [asdict(c) for c in r.checks],
                "turns": [_turn_json(s) for s in r.turns],
            }
            for r in results
        ],
    }
