"""`chatbot --help` tells a shop owner what the program and each command do, not how the
command line is built."""

from __future__ import annotations

from chatserver.cli import build_parser


def test_the_help_says_what_the_commands_do():
    text = build_parser().format_help()
    assert "imported lazily" not in text and "sub-command per module" not in text
    assert text.count("Customer service for an online shop") == 1
    assert max(len(line) for line in text.splitlines()) <= 100  # a terminal's width
    for command in ("init", "check", "serve", "train", "chat", "sandbox", "theme-preview"):
        assert f"    {command}" in text, command
    assert "chatbot check --config shop/config.yml" in text  # the way to go live, in order
    assert "docs/going-live.md" in text
