"""Contract checks: the clients' requests, and the sandboxes' answers, checked against
the vendors' published specs and recorded real responses in
``../shared/reference/api-specs`` (docs/contracts.md).

``python -m integrations.contracts [--specs DIR]`` (or ``chatbot contracts``) runs
them all and prints a table per API: version, calls checked, result.
"""

from __future__ import annotations

from integrations.contracts.report import Result, run_all

__all__ = ["Result", "run_all"]
