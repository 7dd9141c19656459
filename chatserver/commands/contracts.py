"""`chatbot contracts`: check the API clients and sandboxes against the vendors'
published specs (the same checks as ``python -m integrations.contracts``)."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    from integrations.contracts.__main__ import build_parser

    p = subparsers.add_parser(
        "contracts", help="check the API clients and sandboxes against the published specs"
    )
    build_parser(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from integrations.contracts.__main__ import run as run_checks

    return run_checks(args.specs, args.api, notes=args.notes)
