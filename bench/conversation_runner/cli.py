"""``python -m bench.conversations``: run the conversation benchmark and print the rates.

Runs every conversation of bench/conversations/*.yml (or those chosen by ``--fast``,
``--category``, ``--id``) through the real service over fresh sandboxes, one at a time,
judges every expectation and prints the failures and the success rate by category;
``--json`` prints one JSON object instead, ``--verbose`` adds every transcript.
Progress goes to stderr. Exit status: 0 when the run completed (whatever the rate),
2 when the selection is empty or the data does not load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.conversation_data import DATA_DIR, Conversation, FormatError, load
from bench.conversation_runner.play import play
from bench.conversation_runner.records import Capabilities, Check, Result
from bench.conversation_runner.report import as_json, print_report
from bench.conversation_runner.world import capabilities

__all__ = ["load_classifier", "main", "run", "select"]


def select(
    conversations: Sequence[Conversation],
    *,
    fast: bool = False,
    categories: Sequence[str] = (),
    ids: Sequence[str] = (),
) -> list[Conversation]:
    """The conversations a run covers, in file order."""
    return [
        c
        for c in conversations
        if (not fast or c.fast)
        and (not categories or c.category in categories)
        and (not ids or c.id in ids)
    ]


def load_classifier(model: Path | None = None) -> Any:
    """The installed intent model (or the one in ``model``), as the server loads it."""
    from nlu.engine import NLU

    return NLU.load(model)


async def run(
    conversations: Sequence[Conversation],
    classifier: Any,
    *,
    caps: Capabilities | None = None,
    timeout: float = 30.0,
    progress: Callable[[int, Result], None] | None = None,
) -> list[Result]:
    """Play and judge each conversation, one after the other, each in a fresh world."""
    caps = caps or capabilities()
    results = []
    for i, conversation in enumerate(conversations, start=1):
        try:
            result = await play(conversation, classifier, caps, timeout=timeout)
        except Exception as exc:  # the world itself broke: this conversation fails, go on
            check = Check(None, "run", "fail", f"the conversation could not run: {exc!r}")
            result = Result(conversation.id, conversation.category, conversation.channel,
                            conversation.fast, conversation.why, [check], [])  # fmt: skip
        results.append(result)
        if progress is not None:
            progress(i, result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.conversations", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--fast", action="store_true", help="only the CI subset (fast: true)")
    parser.add_argument("--category", action="append", default=[], help="only this category (repeatable)")  # fmt: skip
    parser.add_argument("--id", action="append", default=[], help="only this conversation (repeatable)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--verbose", "-v", action="store_true", help="every transcript")
    parser.add_argument("--model", type=Path, help="model directory (default: the installed one)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a turn may take")
    parser.add_argument("--dir", type=Path, default=DATA_DIR, help="the conversation files")
    args = parser.parse_args(argv)
    try:
        conversations = load(args.dir)
    except FormatError as exc:
        print(f"the conversation files do not load:\n{exc}", file=sys.stderr)
        return 2
    chosen = select(conversations, fast=args.fast, categories=args.category, ids=args.id)
    if not chosen:
        print("no conversation matches the selection", file=sys.stderr)
        return 2
    classifier = load_classifier(args.model)
    caps = capabilities()
    width = len(str(len(chosen)))

    def progress(i: int, r: Result) -> None:
        print(f"[{i:>{width}}/{len(chosen)}] {r.outcome:<9} {r.id} ({r.seconds:.1f} s)", file=sys.stderr)  # fmt: skip

    results = asyncio.run(run(chosen, classifier, caps=caps, timeout=args.timeout, progress=progress))  # fmt: skip
    if args.json:
        json.dump(as_json(results, caps, str(classifier.version)), sys.stdout, indent=2)
        print()
    else:
        print(f"model {classifier.version}; {len(results)} conversations from {args.dir}")
        print_report(results, caps, sys.stdout, verbose=args.verbose)
    return 0
