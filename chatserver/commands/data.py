"""`chatbot data`: the labelled messages out of the store and into the training set.

    chatbot data review [--accept ID ...] [--reject ID ...]   the review queue
    chatbot data export [--out PATH] [--status reviewed|all] [--format yaml|jsonl]
    chatbot data import FILE_OR_DIR [--into nlu/data/train] [--heldout nlu/data/heldout]
    chatbot data sessions --out FILE                           past conversations (replay)

Exported text is masked (``chatserver.privacy``); ``reviewed`` means accepted in review.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]

DEFAULT_OUT = Path("var") / "labelled"


def register(subparsers: argparse._SubParsersAction) -> None:
    from nlu.dataset import DEFAULT_HELDOUT_DIR, DEFAULT_TRAIN_DIR

    p = subparsers.add_parser("data", help="labelled messages: review, export, import")
    sub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    review = sub.add_parser("review", help="list labels pending review, or accept/reject them")
    _config(review)
    review.add_argument("--accept", type=int, nargs="+", default=[], metavar="ID")
    review.add_argument("--reject", type=int, nargs="+", default=[], metavar="ID")
    review.set_defaults(func=run_review)

    export = sub.add_parser("export", help="write labelled messages as training data")
    _config(export)
    export.add_argument("--out", type=Path, default=None, help=f"default {DEFAULT_OUT}[.jsonl]")
    export.add_argument(
        "--status",
        choices=("reviewed", "all"),
        default="reviewed",
        help="reviewed: accepted labels only (default); all: pending ones too",
    )
    export.add_argument("--format", choices=("yaml", "jsonl"), default=None)
    export.set_defaults(func=run_export)

    imp = sub.add_parser("import", help="merge exported examples into the training set")
    imp.add_argument("source", type=Path, metavar="FILE_OR_DIR")
    imp.add_argument("--into", type=Path, default=DEFAULT_TRAIN_DIR)
    imp.add_argument("--heldout", type=Path, default=DEFAULT_HELDOUT_DIR)
    imp.set_defaults(func=run_import)

    sessions = sub.add_parser("sessions", help="export past conversations for `chatbot replay`")
    _config(sessions)
    sessions.add_argument("--out", type=Path, required=True)
    sessions.add_argument("--limit", type=int, default=None, help="newest N sessions only")
    sessions.set_defaults(func=run_sessions)


def _config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=None, help="YAML settings file (for database_url)")
    p.add_argument("--database-url", default=None, help="overrides the settings")


async def _with_store(args: argparse.Namespace, work: Any) -> Any:
    from chatserver.settings import load_settings
    from chatserver.storage import SqlStorage

    settings = load_settings(args.config, database_url=args.database_url)
    storage = SqlStorage(settings.database_url)
    await storage.start()
    try:
        return await work(storage, storage.predictions)
    finally:
        await storage.aclose()


def run_review(args: argparse.Namespace) -> int:
    async def work(storage: Any, store: Any) -> int:
        changed = await store.review(args.accept, "accepted")
        changed += await store.review(args.reject, "rejected")
        if args.accept or args.reject:
            print(f"{changed} label(s) reviewed")
            return 0
        for p in await store.labelled(["pending"]):
            guess = f"{p.intent} {p.confidence:.2f}" if p.intent else "-"
            print(f"{p.message_id}\t{p.label}\t(model: {guess})\t{p.text[:100]!r}")
        return 0

    return int(asyncio.run(_with_store(args, work)))


def run_export(args: argparse.Namespace) -> int:
    from chatserver.learning.training_data import examples_of, write_jsonl, write_yaml_dir

    states = ["accepted"] if args.status == "reviewed" else ["accepted", "pending"]

    async def work(storage: Any, store: Any) -> Any:
        return await store.labelled(states)

    examples = examples_of(asyncio.run(_with_store(args, work)))
    fmt = args.format or ("jsonl" if args.out and args.out.suffix == ".jsonl" else "yaml")
    out = args.out or (DEFAULT_OUT.with_suffix(".jsonl") if fmt == "jsonl" else DEFAULT_OUT)
    if fmt == "jsonl":
        write_jsonl(examples, out)
    else:
        write_yaml_dir(examples, out)
    print(f"{len(examples)} example(s) ({args.status}) written to {out}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from chatserver.learning.training_data import merge
    from nlu.errors import DataError

    try:
        report = merge(args.source, args.into, args.heldout)
    except (DataError, ValueError) as exc:
        print(f"chatbot data import: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.to_json(), indent=2))
    return 0


def run_sessions(args: argparse.Namespace) -> int:
    from chatserver.learning.replay import export_sessions

    async def work(storage: Any, store: Any) -> int:
        return await export_sessions(storage, args.out, limit=args.limit)

    count = asyncio.run(_with_store(args, work))
    print(f"{count} conversation(s) written to {args.out}")
    return 0
