"""`chatbot train --include-reviewed`: accepted labels from the store join the training data."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from chatserver.learning.reviewed import accepted_examples, add_reviewed
from nlu import registry
from nlu.dataset import Example, load_examples
from tests.chatserver.test_learning import labelled_world

FIXTURES = Path(__file__).parent.parent / "nlu" / "fixtures"


def test_only_examples_new_to_train_and_heldout_are_added() -> None:
    train = [Example("where is my order", "track_order")]
    heldout = [Example("It came BROKEN", "damaged_item")]
    reviewed = [
        Example("where is  my order", "track_order"),  # in train, once normalised
        Example("it came broken", "damaged_item"),  # in held-out: never trained on
        Example("my parcel is late", "track_order"),
        Example("My parcel is late", "track_order"),  # twice
    ]
    examples, report = add_reviewed(train, reviewed, heldout)
    assert examples == [*train, Example("my parcel is late", "track_order")]
    assert report.to_json()["added"] == 1
    assert (report.in_train, report.in_heldout, report.repeated) == (1, 1, 1)


async def test_accepted_labels_are_read_masked(tmp_path: Path) -> None:
    url = await labelled_world(tmp_path)
    examples = await accepted_examples(url)
    assert sorted((e.intent, e.text) for e in examples) == [
        ("damaged_item", "it came broken, I'm <email>"),
        ("track_order", "my parcel from order <order_number> is late"),
        ("track_order", "where is my order"),
    ]


async def test_train_include_reviewed_trains_on_them(tmp_path: Path, capsys) -> None:
    from chatserver.cli import main

    url = await labelled_world(tmp_path)
    config = tmp_path / "config.yml"
    config.write_text(json.dumps({"database_url": url}))
    models = tmp_path / "models"
    train, heldout = FIXTURES / "train", tmp_path / "heldout"
    heldout.mkdir()
    (heldout / "damaged_item.yml").write_text(
        "intent: damaged_item\nexamples:\n  - 'It came broken, I''m <EMAIL>'\n"
    )
    argv = ["train", "--data", str(train), "--heldout", str(heldout), "--out", str(models)]
    argv += ["--no-tune", "--config", str(config), "--include-reviewed"]
    status = await asyncio.to_thread(main, argv)
    assert status == 0
    err = capsys.readouterr().err
    assert "reviewed production messages" in err and "'skipped_in_heldout': 1" in err
    meta = registry.read_meta(models / registry.current_version(models))
    # The damaged item is in the held-out set; the two orders are new to train.
    assert meta.n_examples == len(load_examples(train)) + 2
