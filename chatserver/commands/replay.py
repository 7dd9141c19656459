"""`chatbot replay FILE`: past conversations through the current model and scripts,
against the sandboxes, with the shop's policy and templates (``--config``); reports the
turns whose intent or reply would change.

The file format is described in :mod:`chatserver.learning.replay`; `chatbot data sessions`
writes one from the store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "replay", help="replay past conversations and report where answers would change"
    )
    p.add_argument("file", type=Path, help="JSON Lines, one conversation a line")
    p.add_argument("--model", type=Path, default=None, help="model directory (default: installed)")
    p.add_argument(
        "--baseline-model",
        type=Path,
        default=None,
        help="compare with this model's run instead of the file's intents and replies",
    )
    p.add_argument(
        "--config",
        default=None,
        help="YAML settings file: the shop's policy_path, templates_dir and model_dir",
    )
    p.add_argument("--json", action="store_true", help="the full report as JSON")
    p.add_argument("--all", action="store_true", help="list unchanged turns too")
    p.set_defaults(func=run)


def _model(path: Path | None, settings: Any, *, required: bool) -> Any:
    from nlu.engine import NLU
    from nlu.errors import NLUError

    try:
        return NLU.load(path or settings.model_dir, threshold=settings.confidence_threshold)
    except NLUError as exc:
        if required:
            raise
        print(f"no usable model ({exc}): every message goes to a human", file=sys.stderr)
        return NLU.unavailable()


def run(args: argparse.Namespace) -> int:
    from chatserver.errors import ConfigError
    from chatserver.learning.replay import ReplayError, load_conversations, replay
    from chatserver.policy import load_policy
    from chatserver.settings import load_settings
    from nlu.errors import NLUError

    try:
        settings = load_settings(args.config)
        load_policy(settings.policy_path)  # a bad policy is said once, before any turn
    except ConfigError as exc:
        print(f"chatbot replay: {exc}", file=sys.stderr)
        return 2
    try:
        conversations = load_conversations(args.file)
        model = _model(args.model, settings, required=args.model is not None)
        baseline = (
            _model(args.baseline_model, settings, required=True) if args.baseline_model else None
        )
    except (ReplayError, NLUError) as exc:
        print(f"chatbot replay: {exc}", file=sys.stderr)
        return 1
    report = asyncio.run(replay(conversations, model, baseline=baseline, settings=settings))
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return 0
    for t in report.turns if args.all else report.changed:
        marks = []
        if t.intent_changed:
            marks.append(f"intent {t.intent_before} -> {t.intent_after}")
        if t.reply_changed:
            marks.append("reply changed")
        status = "; ".join(marks) or "same"
        print(f"[{t.conversation} #{t.turn}] {t.text[:70]!r}: {status}")
        if t.reply_changed:
            print(f"    before: {(t.reply_before or '')[:160]!r}")
            print(f"    after:  {t.reply_after[:160]!r}")
    s = report.summary()
    print(
        f"{s['conversations']} conversation(s), {s['turns']} turn(s), {s['compared']} compared: "
        f"{s['changed']} changed ({s['intent_changed']} intent, {s['reply_changed']} reply) "
        f"in {s['conversations_changed']} conversation(s)"
    )
    return 0
