"""`chatbot hash-password`: print a scrypt hash for an agent's ``password_hash`` setting."""

from __future__ import annotations

import argparse
import getpass
import sys

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "hash-password", help="hash an agent console password for the config file"
    )
    p.add_argument(
        "--stdin", action="store_true", help="read the password from standard input (scripts)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chatserver.web.auth import hash_password

    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 1
    if not password:
        print("empty password", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0
