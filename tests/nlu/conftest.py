"""A small model trained once per test session on the fixture data."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.dataset import load_examples
from nlu.engine import NLU
from nlu.train import Trained, fit, save_trained

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def trained() -> Trained:
    return fit(load_examples(FIXTURES / "train"), grid=None, folds=3)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, trained: Trained) -> Path:
    directory = tmp_path_factory.mktemp("models")
    save_trained(trained, directory)
    return directory


@pytest.fixture(scope="session")
def nlu(model_dir: Path) -> NLU:
    return NLU.load(model_dir)
