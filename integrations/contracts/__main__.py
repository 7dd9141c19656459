"""``python -m integrations.contracts``: run every contract check, print the tables."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from integrations.contracts.report import render, run_all
from integrations.contracts.specs import SpecsMissing, default_spec_dir, require

__all__ = ["build_parser", "main"]


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(
        prog="python -m integrations.contracts",
        description="Check the API clients and sandboxes against the vendors' published specs.",
    )
    parser.add_argument(
        "--specs",
        type=Path,
        default=None,
        help=f"the api-specs folder (default: {default_spec_dir()})",
    )
    parser.add_argument(
        "--api",
        action="append",
        default=[],
        help="only this API (repeatable): shopify, zendesk, usps...",
    )
    parser.add_argument(
        "-n", "--notes", action="store_true", help="also list where a spec and reality disagree"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run(args.specs, args.api, notes=args.notes)


def run(specs: Path | None, apis: list[str], *, notes: bool = False) -> int:
    """Exit status 0 when every check passed, 1 when one failed, 2 without the specs."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the checks' own requests
    try:
        spec_dir = require((specs or default_spec_dir()).resolve())
        results = run_all(spec_dir, apis)
    except (SpecsMissing, ValueError) as exc:
        print(f"contracts: {exc}", file=sys.stderr)
        return 2
    print(render(results, verbose=notes))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
