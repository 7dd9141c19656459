"""Promote a model only when it is not worse than the one serving; keep a history to roll back.

A trained model is saved as a version first and becomes CURRENT only after a
comparison with the current model on the same held-out examples (never trained
on), each model at its own operating point (threshold and margin from its
metadata). "Not worse" means, with :class:`Gate`'s default tolerances:

==========================  =====================================================
accuracy                    at least the current's minus 0.5 point
out-of-scope recall         at least the current's minus 1 point (escalated OOS)
answered accuracy           at least the current's minus 1 point
escalation rate             at most the current's plus 2 points
==========================  =====================================================

A refused candidate stays in the registry as a version (``chatbot model promote
VERSION --force`` installs it later) and is recorded as refused in the history.

``<model_dir>/HISTORY`` holds one tab-separated line per event:
``<UTC time>\\t<action>\\t<version>\\t<note>`` with action ``promote``,
``adopt`` (a CURRENT set without this module, recorded before it is replaced),
``rollback`` or ``refuse``. Replaying promote/adopt as a push and rollback as a
pop gives the stack of installed models; rolling back returns to the one below.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from nlu import registry
from nlu.dataset import Example
from nlu.errors import ModelNotFound, NLUError
from nlu.evaluation import Evaluation

__all__ = [
    "DEFAULT_GATE",
    "HISTORY_FILE",
    "Check",
    "Comparison",
    "Entry",
    "Gate",
    "Outcome",
    "compare",
    "format_table",
    "gate",
    "history",
    "installed_stack",
    "promote",
    "record",
    "rollback",
    "score",
]

HISTORY_FILE = "HISTORY"
ACTIONS = ("promote", "adopt", "rollback", "refuse")


@dataclass(frozen=True)
class Gate:
    """How much worse than the current model a candidate may be, per metric (fractions)."""

    accuracy_drop: float = 0.005
    oos_recall_drop: float = 0.01
    answered_accuracy_drop: float = 0.01
    escalation_rise: float = 0.02


DEFAULT_GATE = Gate()


@dataclass(frozen=True)
class Check:
    """One metric of the comparison; ``bound`` is the worst value the candidate may have."""

    metric: str
    current: float | None
    candidate: float
    bound: float | None
    higher_is_better: bool
    ok: bool


@dataclass(frozen=True)
class Comparison:
    """Current versus candidate on one held-out set."""

    current_version: str | None
    candidate_version: str
    n: int
    checks: tuple[Check, ...]
    note: str = ""

    @property
    def passed(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(c.metric for c in self.checks if not c.ok)


def compare(
    current: Evaluation | None, candidate: Evaluation, gate: Gate = DEFAULT_GATE
) -> Comparison:
    """Compare two evaluations on the same examples. No current model: the candidate passes."""
    rules = (
        ("accuracy", True, gate.accuracy_drop),
        ("oos_recall", True, gate.oos_recall_drop),
        ("answered_accuracy", True, gate.answered_accuracy_drop),
        ("escalation_rate", False, gate.escalation_rise),
    )
    checks = []
    for metric, higher, tolerance in rules:
        new = float(getattr(candidate, metric))
        if current is None:
            checks.append(Check(metric, None, new, None, higher, True))
            continue
        old = float(getattr(current, metric))
        if metric == "oos_recall" and not current.n_out_of_scope:
            checks.append(Check(metric, old, new, None, higher, True))  # nothing to compare
            continue
        bound = round(old - tolerance if higher else old + tolerance, 6)
        ok = new >= bound - 1e-9 if higher else new <= bound + 1e-9
        checks.append(Check(metric, old, new, bound, higher, ok))
    if current is not None and current.n != candidate.n:
        raise ValueError("compare two evaluations of the same examples")
    return Comparison(
        current.model_version if current else None,
        candidate.model_version,
        candidate.n,
        tuple(checks),
    )


def format_table(comparison: Comparison) -> str:
    """The comparison as a plain-text table with a verdict per metric."""
    current = comparison.current_version or "(none)"
    lines = [
        f"held-out comparison on {comparison.n} examples, each model at its own operating point",
        f"{'metric':<20}{'current':>10}{'candidate':>11}{'limit':>10}  verdict",
    ]
    for c in comparison.checks:
        old = f"{c.current:.1%}" if c.current is not None else "-"
        limit = "-" if c.bound is None else ("≥" if c.higher_is_better else "≤") + f"{c.bound:.1%}"
        lines.append(
            f"{c.metric:<20}{old:>10}{c.candidate:>11.1%}{limit:>10}  "
            + ("ok" if c.ok else "WORSE")
        )
    lines.append(f"current {current}, candidate {comparison.candidate_version}")
    if comparison.note:
        lines.append(comparison.note)
    return "\n".join(lines)


# ---------------------------------------------------------------- history


@dataclass(frozen=True)
class Entry:
    """One line of HISTORY."""

    at: str
    action: str
    version: str
    note: str = ""


def history(model_dir: Path) -> list[Entry]:
    """The promotion history, oldest first (empty when there is none)."""
    try:
        text = (Path(model_dir) / HISTORY_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    entries = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[1] in ACTIONS:
            entries.append(Entry(parts[0], parts[1], parts[2], "\t".join(parts[3:])))
    return entries


def record(model_dir: Path, action: str, version: str, note: str = "") -> None:
    """Append one event to HISTORY."""
    if action not in ACTIONS:
        raise ValueError(f"unknown history action {action!r}")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    note = " ".join(note.split())  # one line, no tabs
    with (Path(model_dir) / HISTORY_FILE).open("a", encoding="utf-8") as out:
        out.write(f"{now}\t{action}\t{version}\t{note}\n")
        out.flush()
        os.fsync(out.fileno())


def _replay(entries: Sequence[Entry]) -> list[str]:
    stack: list[str] = []
    for entry in entries:
        if entry.action == "rollback" and stack:
            stack.pop()
        if entry.action in ("promote", "adopt", "rollback") and stack[-1:] != [entry.version]:
            stack.append(entry.version)
    return stack


def installed_stack(model_dir: Path) -> list[str]:
    """The versions installed one over the other, the current one last."""
    stack = _replay(history(model_dir))
    current = registry.current_version(model_dir)
    if current is not None and stack[-1:] != [current]:
        stack.append(current)  # CURRENT was set by hand or by older code
    return stack


def _adopt(model_dir: Path) -> str | None:
    # Record a CURRENT the history does not end with, so a rollback can return to it.
    current = registry.current_version(model_dir)
    if current is not None and _replay(history(model_dir))[-1:] != [current]:
        record(model_dir, "adopt", current, "CURRENT set outside the promotion gate")
    return current


def promote(model_dir: Path, version: str, note: str = "") -> None:
    """Make ``version`` CURRENT and record it (no gate: see :func:`gate`).

    Raises:
        ModelNotFound: no such version.
    """
    model_dir = Path(model_dir)
    if not (model_dir / version / registry.META_FILE).is_file():
        raise ModelNotFound(f"no model version {version!r} in {model_dir}")
    _adopt(model_dir)
    registry.set_current(model_dir, version)
    record(model_dir, "promote", version, note)


def rollback(model_dir: Path) -> tuple[str, str]:
    """Return to the model installed before the current one; ``(from, to)`` versions.

    Raises:
        ModelNotFound: no earlier model recorded, or its files are gone.
    """
    model_dir = Path(model_dir)
    stack = installed_stack(model_dir)
    if len(stack) < 2:
        raise ModelNotFound(f"no earlier model recorded in {model_dir / HISTORY_FILE}")
    current, previous = stack[-1], stack[-2]
    _adopt(model_dir)
    registry.set_current(model_dir, previous)
    record(model_dir, "rollback", previous, f"from {current}")
    return current, previous


# ---------------------------------------------------------------- the gate


@dataclass(frozen=True)
class Outcome:
    """What :func:`gate` did with a candidate."""

    comparison: Comparison
    promoted: bool
    forced: bool = False

    @property
    def message(self) -> str:
        c = self.comparison
        if self.promoted and self.forced and not c.passed:
            return (
                f"{c.candidate_version} installed as CURRENT by --force despite worse "
                + ", ".join(c.failed)
            )
        if self.promoted:
            return f"{c.candidate_version} installed as CURRENT"
        return (
            f"{c.candidate_version} refused: worse than {c.current_version} in "
            + ", ".join(c.failed)
            + "; it is kept as a version, `chatbot model promote "
            + f"{c.candidate_version} --force` installs it anyway"
        )


def score(version_dir: Path, examples: Sequence[Example]) -> Evaluation:
    """Evaluate one model version on ``examples`` at its own operating point.

    Raises:
        ModelNotFound, BadModelFile, IncompatibleModel: the model cannot be loaded.
    """
    from nlu.engine import NLU
    from nlu.evaluation import evaluate

    return evaluate(NLU.load(version_dir), examples)


def gate(
    model_dir: Path,
    candidate: str,
    heldout: Sequence[Example],
    *,
    force: bool = False,
    gate: Gate = DEFAULT_GATE,
    candidate_scores: Evaluation | None = None,
) -> Outcome:
    """Compare version ``candidate`` with CURRENT on ``heldout``; promote it if not worse.

    A refused candidate stays a version and is recorded as refused. ``force`` promotes
    anyway. Without a usable current model the candidate is promoted.

    Raises:
        ModelNotFound, BadModelFile, IncompatibleModel: the candidate cannot be loaded.
    """
    model_dir = Path(model_dir)
    if candidate_scores is None:
        candidate_scores = score(model_dir / candidate, heldout)
    candidate_scores = replace(candidate_scores, model_version=candidate)
    current = registry.current_version(model_dir)
    current_scores, note = None, ""
    if current is not None and current != candidate:
        try:
            current_scores = score(model_dir / current, heldout)
        except NLUError as exc:
            note = f"the current model {current} cannot be loaded ({exc}): nothing to compare"
    comparison = replace(compare(current_scores, candidate_scores, gate), note=note)
    if comparison.passed or force:
        if current != candidate:
            why = "forced past the gate" if not comparison.passed else "passed the gate"
            promote(model_dir, candidate, note=why)
        return Outcome(comparison, promoted=True, forced=force)
    record(model_dir, "refuse", candidate, "worse in " + ", ".join(comparison.failed))
    return Outcome(comparison, promoted=False)
