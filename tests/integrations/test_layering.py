"""`integrations` stands on its own: it never imports `chatserver` (issue 11)."""

from __future__ import annotations

import ast
from pathlib import Path

import integrations

ROOT = Path(integrations.__file__).parent


def test_integrations_never_imports_chatserver():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names
                          if n.split(".")[0] == "chatserver"]  # fmt: skip
    assert offenders == []
