"""The conversation benchmark's runner (issue 13): ``python -m bench.conversations``.

Each conversation of bench/conversations/*.yml (format: its README) is played in a fresh
world (``world``: the real service over the sandboxes, a fixed clock, the real presence)
through the channels' own paths (``play``: chat as the widget sends, e-mail through
Zendesk and the channel's worker (``mail``), agents through the ``AgentDesk``); the judge
(``judge``) checks every expectation on what came back (``records``), and ``report``
prints the success rate by category.
"""

from bench.conversation_runner.cli import main, run, select
from bench.conversation_runner.records import Capabilities, Check, Result

__all__ = ["Capabilities", "Check", "Result", "main", "run", "select"]
