"""The published specs the contract tests read: ``../shared/reference/api-specs``
beside the repository (as on CI). Without them those tests are skipped, saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.contracts.specs import SpecsMissing, default_spec_dir, require


@pytest.fixture(scope="session")
def spec_dir() -> Path:
    try:
        return require(default_spec_dir())
    except SpecsMissing as exc:
        pytest.skip(str(exc))
