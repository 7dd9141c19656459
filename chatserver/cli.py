"""The `chatbot` command line.

Each command module exposes `register(subparsers)`, which adds its parser and
sets `func(args) -> int`. Heavy imports (spaCy, scikit-learn) stay inside the
command functions so `chatbot chat` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

__all__ = ["COMMAND_MODULES", "DESCRIPTION", "build_parser", "main", "redact_logs"]

DESCRIPTION = (
    "Customer service for an online shop: answers live chat and Zendesk email from the\n"
    "shop's Shopify orders and the carriers' tracking, in the shop's own words, and hands\n"
    "the rest to a person."
)
EPILOG = """\
going live (docs/going-live.md):
  chatbot init shop/                     a config with fresh secrets, the policy, templates
  chatbot train --config shop/config.yml the intent model
  chatbot check --config shop/config.yml what is ready, what is missing and how to fix it
  chatbot serve --config shop/config.yml

`chatbot COMMAND --help` tells more about each command.
"""

COMMAND_MODULES = (
    "chatserver.commands.init",
    "chatserver.commands.check",
    "chatserver.commands.serve",
    "chatserver.commands.theme_preview",
    "chatserver.commands.sandbox",
    "chatserver.commands.chat",
    "chatserver.commands.hash_password",
    "chatserver.commands.data",
    "chatserver.commands.replay",
    "chatserver.commands.model",
    "chatserver.commands.contracts",
    "nlu.commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatbot",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a command module not written yet
        module.register(subparsers)
    return parser


def redact_logs() -> None:
    """Every line the root handlers write has tracking numbers and session ids
    shortened (``chatserver.privacy.shorten``): the HTTP client logs each URL it calls,
    and a full session id is the bearer credential of a transcript."""
    from chatserver.privacy import RedactingFilter

    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact_logs()
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
