"""`chatbot model`: the installed intent models, promotion and rollback.

    chatbot model list                          versions, held-out figures, which is CURRENT
    chatbot model promote VERSION [--force]     through the held-out gate (nlu.promotion)
    chatbot model rollback                      back to the model installed before CURRENT

A running server notices the change of CURRENT and loads the model itself
(``chatserver.ops.model_reload``); every worker process does so on its own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("model", help="installed models: list, promote, roll back")
    sub = p.add_subparsers(dest="model_command", metavar="ACTION", required=True)

    ls = sub.add_parser("list", help="versions with their held-out figures")
    _common(ls)
    ls.set_defaults(func=run_list)

    promote = sub.add_parser("promote", help="make VERSION current if not worse on held-out")
    _common(promote)
    promote.add_argument("version", metavar="VERSION")
    promote.add_argument("--heldout", type=Path, help="default nlu/data/heldout")
    promote.add_argument("--force", action="store_true", help="skip the comparison's verdict")
    promote.set_defaults(func=run_promote)

    rollback = sub.add_parser("rollback", help="back to the previously installed model")
    _common(rollback)
    rollback.set_defaults(func=run_rollback)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--models", type=Path, help="model directory (default: settings model_dir)")
    p.add_argument("--config", help="YAML settings file")


def _model_dir(args: argparse.Namespace) -> Path:
    if args.models:
        return Path(args.models)
    from chatserver.settings import load_settings

    return Path(load_settings(args.config).model_dir)


def _fail(message: str, status: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


def _pct(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) else "-"


def run_list(args: argparse.Namespace) -> int:
    from nlu import promotion, registry
    from nlu.errors import NLUError

    model_dir = _model_dir(args)
    versions = registry.list_versions(model_dir)
    if not versions:
        print(f"no models in {model_dir}: run `chatbot train`")
        return 0
    current = registry.current_version(model_dir)
    refused = {e.version for e in promotion.history(model_dir) if e.action == "refuse"}
    installed = set(promotion.installed_stack(model_dir))
    print(
        f"  {'version':<26}{'examples':>9}{'accuracy':>10}{'oos-rec':>9}{'escalated':>11}"
        f"{'thresh':>8}  status"
    )
    for version in versions:
        try:
            meta = registry.read_meta(model_dir / version)
        except NLUError as exc:
            print(f"  {version:<26}  unusable: {exc}")
            continue
        m = meta.metrics
        status = "current" if version == current else ""
        if not status:
            status = "refused" if version in refused else "previous" if version in installed else ""
        print(
            f"{'*' if version == current else ' '} {version:<26}{meta.n_examples:>9}"
            f"{_pct(m.get('heldout_accuracy')):>10}{_pct(m.get('heldout_oos_recall')):>9}"
            f"{_pct(m.get('heldout_escalation_rate')):>11}{meta.threshold:>8.2f}  {status}"
        )
    return 0


def run_promote(args: argparse.Namespace) -> int:
    from nlu import promotion
    from nlu.dataset import DEFAULT_HELDOUT_DIR, load_examples
    from nlu.errors import NLUError

    model_dir = _model_dir(args)
    try:
        heldout = load_examples(args.heldout or DEFAULT_HELDOUT_DIR)
        outcome = promotion.gate(model_dir, args.version, heldout, force=args.force)
    except (NLUError, OSError) as exc:
        return _fail(str(exc))
    print(promotion.format_table(outcome.comparison))
    if not outcome.promoted:
        return _fail(outcome.message, status=1)
    print(outcome.message)
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    from nlu import promotion
    from nlu.errors import NLUError

    model_dir = _model_dir(args)
    try:
        before, after = promotion.rollback(model_dir)
    except (NLUError, OSError) as exc:
        return _fail(str(exc))
    print(f"rolled back from {before} to {after}: {after} is CURRENT")
    return 0
