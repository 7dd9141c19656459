"""placeholder"""

from __future__ import annotations

from pathlib import Path

from integrations.contracts.report import Result

__all__ = ["check"]


def check(spec_dir: Path) -> list[Result]:
    return []
