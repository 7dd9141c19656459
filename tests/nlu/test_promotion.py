"""The promotion gate, the history and rollback, and `chatbot train`/`chatbot model`."""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
from pathlib import Path

import pytest

from chatserver.cli import main
from nlu import promotion, registry
from nlu.dataset import Example, load_examples
from nlu.errors import ModelNotFound
from nlu.evaluation import Evaluation
from nlu.train import Trained, fit, save_trained

FIXTURES = Path(__file__).parent / "fixtures"

HELDOUT = {
    "cancel_order": ["please cancel my order", "I need to cancel order #2002"],
    "greeting": ["hello there", "hi!"],
    "out_of_scope": ["what's the capital of Spain", "tell me a funny story"],
    "return_item": ["I'd like to return these shoes", "how can I send this back"],
    "thanks": ["thank you", "many thanks!"],
    "track_order": ["where is my parcel", "has my order shipped yet"],
}


def evaluation(version: str, **figures: float) -> Evaluation:
    base = {
        "accuracy": 0.9,
        "oos_recall": 0.8,
        "answered_accuracy": 0.95,
        "escalation_rate": 0.2,
    }
    base.update(figures)
    return Evaluation(
        model_version=version,
        threshold=0.3,
        margin=0.02,
        n=100,
        n_out_of_scope=10,
        intent_accuracy=0.9,
        in_scope_escalation_rate=0.1,
        labels=(),
        per_label={},
        confusion=(),
        curve=(),
        errors={},
        **base,
    )


@pytest.fixture
def heldout(tmp_path: Path) -> Path:
    directory = tmp_path / "heldout"
    directory.mkdir()
    for intent, texts in HELDOUT.items():
        lines = "".join(f"  - {json.dumps(t)}\n" for t in texts)
        (directory / f"{intent}.yml").write_text(f"intent: {intent}\nexamples:\n{lines}")
    return directory


@pytest.fixture(scope="session")
def bad(trained: Trained) -> Trained:
    """A model trained on shuffled labels: it has not learnt the intents."""
    examples = load_examples(FIXTURES / "train")
    labels = [e.intent for e in examples]
    random.Random(3).shuffle(labels)
    shuffled = [
        Example(e.text, label, e.channel) for e, label in zip(examples, labels, strict=True)
    ]
    return fit(shuffled, folds=1)


def clone(models: Path, source: Path, version: str) -> str:
    """Copy a version directory under another version name."""
    shutil.copytree(source, models / version)
    meta = json.loads((models / version / "meta.json").read_text())
    meta["version"] = version
    (models / version / "meta.json").write_text(json.dumps(meta))
    return version


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


# --- the comparison ------------------------------------------------------------------


def test_an_equal_or_slightly_worse_candidate_passes() -> None:
    current = evaluation("a")
    slightly = evaluation("b", accuracy=0.896, oos_recall=0.791, escalation_rate=0.219)
    assert promotion.compare(current, current).passed
    assert promotion.compare(current, slightly).passed


@pytest.mark.parametrize(
    ("figures", "failed"),
    [
        ({"accuracy": 0.89}, ("accuracy",)),
        ({"oos_recall": 0.78}, ("oos_recall",)),
        ({"answered_accuracy": 0.93}, ("answered_accuracy",)),
        ({"escalation_rate": 0.23}, ("escalation_rate",)),
        ({"accuracy": 0.5, "oos_recall": 0.5}, ("accuracy", "oos_recall")),
    ],
)
def test_a_worse_candidate_fails_on_each_metric(figures: dict, failed: tuple) -> None:
    comparison = promotion.compare(evaluation("a"), evaluation("b", **figures))
    assert not comparison.passed
    assert comparison.failed == failed


def test_no_current_model_passes_and_the_table_shows_every_metric() -> None:
    comparison = promotion.compare(None, evaluation("b", accuracy=0.1))
    assert comparison.passed
    table = promotion.format_table(comparison)
    for metric in ("accuracy", "oos_recall", "answered_accuracy", "escalation_rate"):
        assert metric in table
    assert "(none)" in table


def test_the_table_marks_what_is_worse() -> None:
    comparison = promotion.compare(evaluation("a"), evaluation("b", accuracy=0.8))
    table = promotion.format_table(comparison)
    assert "WORSE" in table and "≥89.5%" in table
    assert "current a, candidate b" in table


def test_different_example_sets_are_not_compared() -> None:
    with pytest.raises(ValueError):
        promotion.compare(evaluation("a"), dataclasses.replace(evaluation("b"), n=99))


# --- history and rollback ------------------------------------------------------------


def test_promote_and_rollback_walk_the_history(model_dir: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    source = model_dir / registry.current_version(model_dir)
    a, b, c = (clone(models, source, v) for v in ("v-a", "v-b", "v-c"))
    with pytest.raises(ModelNotFound):
        promotion.rollback(models)  # nothing installed
    promotion.promote(models, a)
    with pytest.raises(ModelNotFound):
        promotion.rollback(models)  # nothing before the first
    promotion.promote(models, b)
    promotion.promote(models, c)
    assert promotion.installed_stack(models) == [a, b, c]
    assert promotion.rollback(models) == (c, b)
    assert registry.current_version(models) == b
    assert promotion.rollback(models) == (b, a)
    assert registry.current_version(models) == a
    assert [e.action for e in promotion.history(models)] == [
        "promote",
        "promote",
        "promote",
        "rollback",
        "rollback",
    ]
    with pytest.raises(ModelNotFound):
        promotion.promote(models, "no-such-version")


def test_a_current_set_by_hand_is_adopted_so_rollback_returns_to_it(
    model_dir: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    source = model_dir / registry.current_version(model_dir)
    a, b = clone(models, source, "v-a"), clone(models, source, "v-b")
    registry.set_current(models, a)  # older code, or by hand: no HISTORY yet
    promotion.promote(models, b)
    assert promotion.rollback(models) == (b, a)
    assert registry.current_version(models) == a


# --- the gate with real models -------------------------------------------------------


def test_a_worse_model_is_refused_kept_and_force_promotes_it(
    trained: Trained, bad: Trained, heldout: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    examples = load_examples(heldout)
    good = save_trained(trained, models, make_current=False).name
    first = promotion.gate(models, good, examples)
    assert first.promoted and first.comparison.current_version is None
    assert registry.current_version(models) == good

    worse = save_trained(bad, models, make_current=False).name
    refused = promotion.gate(models, worse, examples)
    assert not refused.promoted
    assert "accuracy" in refused.comparison.failed
    assert "refused" in refused.message and "--force" in refused.message
    assert registry.current_version(models) == good
    assert worse in registry.list_versions(models)  # kept, not current
    assert promotion.history(models)[-1].action == "refuse"

    forced = promotion.gate(models, worse, examples, force=True)
    assert forced.promoted and forced.forced and "--force" in forced.message
    assert registry.current_version(models) == worse
    assert promotion.rollback(models) == (worse, good)


def test_an_unloadable_current_model_does_not_block_a_candidate(
    trained: Trained, heldout: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    old = save_trained(trained, models).name
    new = clone(models, models / old, "v-new")
    (models / old / registry.MODEL_FILE).write_bytes(b"garbage")
    outcome = promotion.gate(models, new, load_examples(heldout))
    assert outcome.promoted
    assert "cannot be loaded" in outcome.comparison.note


# --- the commands --------------------------------------------------------------------


def write_shuffled(directory: Path) -> Path:
    examples = load_examples(FIXTURES / "train")
    labels = [e.intent for e in examples]
    random.Random(3).shuffle(labels)
    by_intent: dict[str, list[str]] = {}
    for e, label in zip(examples, labels, strict=True):
        by_intent.setdefault(label, []).append(e.text)
    directory.mkdir()
    for intent, texts in by_intent.items():
        lines = "".join(f"  - {json.dumps(t)}\n" for t in texts)
        (directory / f"{intent}.yml").write_text(f"intent: {intent}\nexamples:\n{lines}")
    return directory


def test_train_refuses_a_worse_model_force_installs_it_and_rollback_undoes_it(
    heldout: Path, tmp_path: Path, capsys
) -> None:
    models = tmp_path / "models"
    common = ["--heldout", str(heldout), "--out", str(models), "--no-tune"]
    status, out, _ = run(["train", "--data", str(FIXTURES / "train"), *common], capsys)
    assert status == 0, out
    good = registry.current_version(models)
    assert "installed as CURRENT" in out and "(none)" in out

    shuffled = write_shuffled(tmp_path / "shuffled")
    status, out, err = run(["train", "--data", str(shuffled), *common], capsys)
    assert status == 1
    assert "WORSE" in out and "refused" in err
    assert registry.current_version(models) == good
    worse = next(v for v in registry.list_versions(models) if v != good)

    status, out, _ = run(["model", "list", "--models", str(models)], capsys)
    assert status == 0
    assert f"* {good}" in out and "refused" in out

    status, out, err = run(
        ["model", "promote", worse, "--models", str(models), "--heldout", str(heldout)], capsys
    )
    assert status == 1 and "refused" in err
    status, out, _ = run(
        ["model", "promote", worse, "--force", "--models", str(models), "--heldout", str(heldout)],
        capsys,
    )
    assert status == 0 and "--force" in out
    assert registry.current_version(models) == worse

    status, out, _ = run(["model", "rollback", "--models", str(models)], capsys)
    assert status == 0 and f"to {good}" in out
    assert registry.current_version(models) == good
    status, _, err = run(["model", "rollback", "--models", str(models)], capsys)
    assert status == 2 and "no earlier model" in err


def test_train_force_installs_a_worse_model(heldout: Path, tmp_path: Path, capsys) -> None:
    models = tmp_path / "models"
    common = ["--heldout", str(heldout), "--out", str(models), "--no-tune"]
    assert run(["train", "--data", str(FIXTURES / "train"), *common], capsys)[0] == 0
    shuffled = write_shuffled(tmp_path / "shuffled")
    status, out, _ = run(["train", "--data", str(shuffled), *common, "--force"], capsys)
    assert status == 0 and "WORSE" in out and "--force" in out
    assert len(registry.list_versions(models)) == 2
    assert promotion.installed_stack(models)[-1] == registry.current_version(models)
