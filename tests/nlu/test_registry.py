"""Model files: versioned, checked, and never trusted blindly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import skops.io as sio

from nlu import registry
from nlu.errors import BadModelFile, IncompatibleModel, ModelNotFound, NLUError


class Gadget:
    """A type no model file may contain."""

    def __init__(self) -> None:
        self.payload = "anything"


@pytest.fixture
def copy(model_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(model_dir, target)
    return target


def version_dir(models: Path) -> Path:
    return models / registry.current_version(models)


def test_round_trip_gives_the_same_predictions(model_dir: Path, trained) -> None:
    model, meta = registry.load(model_dir)
    texts = ["where is my order", "hello", "tell me a joke"]
    assert (model.predict_proba(texts) == trained.model.predict_proba(texts)).all()
    assert meta.threshold == trained.threshold
    assert meta.classes == tuple(trained.model.classes_)
    assert "out_of_scope" not in meta.intents


def test_metadata_records_versions_data_and_checksum(model_dir: Path) -> None:
    meta = registry.read_meta(version_dir(model_dir))
    assert set(meta.libraries) >= {"python", "scikit-learn", "skops", "spacy"}
    assert len(meta.data_hash) == 64
    assert len(meta.sha256) == 64
    assert meta.version in registry.list_versions(model_dir)


def test_a_version_directory_loads_directly(model_dir: Path) -> None:
    _, meta = registry.load(version_dir(model_dir))
    assert meta.version == registry.current_version(model_dir)


def test_set_current_switches_versions(copy: Path) -> None:
    old = registry.current_version(copy)
    shutil.copytree(copy / old, copy / "second")
    registry.set_current(copy, "second")
    assert registry.resolve(copy) == copy / "second"
    with pytest.raises(ModelNotFound):
        registry.set_current(copy, "missing")


def test_missing_model_is_model_not_found(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="chatbot train"):
        registry.load(tmp_path)


def test_tampered_file_is_refused(copy: Path) -> None:
    file = version_dir(copy) / registry.MODEL_FILE
    file.write_bytes(file.read_bytes() + b"\0")
    with pytest.raises(BadModelFile, match="checksum"):
        registry.load(copy)


def test_untrusted_types_are_refused_even_with_a_matching_checksum(copy: Path) -> None:
    directory = version_dir(copy)
    blob = sio.dumps({"model": Gadget()})
    (directory / registry.MODEL_FILE).write_bytes(blob)
    meta = json.loads((directory / registry.META_FILE).read_text())
    import hashlib

    meta["sha256"] = hashlib.sha256(blob).hexdigest()
    (directory / registry.META_FILE).write_text(json.dumps(meta))
    with pytest.raises(BadModelFile, match="untrusted types"):
        registry.load(copy)


def test_other_sklearn_version_is_incompatible_with_a_clear_message(copy: Path) -> None:
    file = version_dir(copy) / registry.META_FILE
    meta = json.loads(file.read_text())
    meta["libraries"]["scikit-learn"] = "0.24.2"
    file.write_text(json.dumps(meta))
    with pytest.raises(IncompatibleModel, match=r"scikit-learn 0\.24\.2.*retrain"):
        registry.load(copy)


def test_other_format_is_incompatible(copy: Path) -> None:
    file = version_dir(copy) / registry.META_FILE
    meta = json.loads(file.read_text())
    meta["format"] = 99
    file.write_text(json.dumps(meta))
    with pytest.raises(IncompatibleModel):
        registry.load(copy)


def test_garbage_metadata_is_a_bad_model_file(copy: Path) -> None:
    (version_dir(copy) / registry.META_FILE).write_text("{not json")
    with pytest.raises(BadModelFile):
        registry.load(copy)


def test_all_errors_share_one_root() -> None:
    for error in (ModelNotFound, BadModelFile, IncompatibleModel):
        assert issubclass(error, NLUError)


def test_the_act_model_is_saved_beside_the_intent_model(model_dir: Path, trained) -> None:
    meta = registry.read_meta(version_dir(model_dir))
    assert meta.acts["file"] == registry.ACTS_FILE
    assert len(meta.acts["sha256"]) == 64
    assert "acts_cv_accuracy" in meta.acts["metrics"]
    acts = registry.load_acts(model_dir)
    assert list(acts.classes_) == meta.acts["classes"] == list(trained.acts.classes_)
    assert "ask_weight" in meta.params


def test_a_tampered_act_model_is_refused(copy: Path) -> None:
    file = version_dir(copy) / registry.ACTS_FILE
    file.write_bytes(file.read_bytes()[:-1])
    with pytest.raises(BadModelFile, match="checksum"):
        registry.load_acts(copy)


def test_a_version_from_before_act_models_loads_without_one(copy: Path) -> None:
    directory = version_dir(copy)
    (directory / registry.ACTS_FILE).unlink()
    meta = json.loads((directory / registry.META_FILE).read_text())
    del meta["acts"]
    (directory / registry.META_FILE).write_text(json.dumps(meta))
    assert registry.load_acts(copy) is None
    model, _ = registry.load(copy)
    assert model.predict(["where is my order"])[0] == "track_order"


def test_an_intent_model_saved_before_the_lexicon_and_ask_view_still_reads(trained) -> None:
    from nlu.classifier import IntentClassifier
    from nlu.tokens import SpacyLemmatizer

    old = IntentClassifier.__new__(IntentClassifier)
    state = {
        k: v for k, v in trained.model.__getstate__().items() if k not in ("lexicon", "ask_view")
    }
    old.__setstate__(state)
    assert (old.lexicon, old.ask_view) == (None, False)
    lemmas = SpacyLemmatizer.__new__(SpacyLemmatizer)
    lemmas.__setstate__({"lang": "en", "lemmatize": True, "batch_size": 256})
    assert lemmas.transform(["I ordered shirts"]) == ["i order shirt"]
