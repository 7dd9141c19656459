"""`chatbot train`, `classify` and `evaluate` through the real CLI entry point."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from chatserver.cli import main
from nlu import registry

FIXTURES = Path(__file__).parent / "fixtures"


def run(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    stdin: str | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_classify_texts_prints_one_json_object_each(model_dir: Path, capsys) -> None:
    status, out, _ = run(
        ["classify", "--model", str(model_dir), "where is order #1001", "hi"], capsys
    )
    assert status == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert set(first) >= {"text", "intent", "confidence", "escalate", "ranking", "entities"}
    assert first["intent"] == "track_order"
    assert first["entities"] == [{"type": "order_number", "value": "#1001"}]
    assert second["intent"] == "greeting"
    assert first["ranking"][0][0] == "track_order"
    assert first["asks"][0]["intent"] == "track_order"
    assert first["act"] is None and first["signals"] == []


def test_classify_with_expecting_prints_the_act(model_dir: Path, capsys) -> None:
    status, out, _ = run(
        ["classify", "--model", str(model_dir), "--expecting", "yes_no", "yes please"], capsys
    )
    assert status == 0
    assert json.loads(out)["act"]["act"] == "affirm"


def test_classify_stdin_reports_bad_lines_and_goes_on(model_dir: Path, capsys, monkeypatch) -> None:
    stdin = "\n".join(
        [
            json.dumps({"text": "cancel my order please"}),
            "this is not json",
            json.dumps({"channel": "chat"}),
            json.dumps({"text": 42}),
            json.dumps({"text": "hello", "channel": "sms"}),
            json.dumps(["text"]),
            "",
            json.dumps({"text": "I'd like to return this.\n> old quote", "channel": "email"}),
        ]
    )
    status, out, _ = run(["classify", "--model", str(model_dir)], capsys, stdin, monkeypatch)
    results = [json.loads(line) for line in out.splitlines()]
    assert status == 1
    assert results[0]["intent"] == "cancel_order"
    assert [r.get("line") for r in results[1:6]] == [2, 3, 4, 5, 6]
    assert all("error" in r for r in results[1:6])
    assert results[6]["intent"] == "return_item"
    assert len(results) == 7


def test_classify_without_a_model_says_how_to_get_one(tmp_path: Path, capsys) -> None:
    status, out, err = run(["classify", "--model", str(tmp_path), "hi"], capsys)
    assert status == 2
    assert out == ""
    assert "chatbot train" in err


def test_train_installs_a_current_version_and_if_missing_keeps_it(tmp_path: Path, capsys) -> None:
    out_dir = tmp_path / "models"
    args = ["train", "--data", str(FIXTURES / "train"), "--out", str(out_dir), "--no-tune"]
    status, out, _ = run(args, capsys)
    assert status == 0
    version = registry.current_version(out_dir)
    assert version is not None and version in out
    meta = registry.read_meta(out_dir / version)
    assert "heldout_accuracy" in meta.metrics

    status, _, err = run([*args, "--if-missing"], capsys)
    assert status == 0
    assert "already installed" in err
    assert registry.list_versions(out_dir) == [version]


def test_train_accepts_json_lines(tmp_path: Path, capsys) -> None:
    from nlu.dataset import load_examples

    data = tmp_path / "data.jsonl"
    data.write_text(
        "\n".join(
            json.dumps({"text": e.text, "intent": e.intent})
            for e in load_examples(FIXTURES / "train")
        )
    )
    status, out, _ = run(
        ["train", "--data", str(data), "--out", str(tmp_path / "m"), "--no-tune"], capsys
    )
    assert status == 0
    assert "accuracy" in out


def test_train_with_bad_data_fails_cleanly(tmp_path: Path, capsys) -> None:
    (tmp_path / "bad.yml").write_text("intent: x\nexamples: not-a-list\n")
    status, _, err = run(["train", "--data", str(tmp_path), "--out", str(tmp_path / "m")], capsys)
    assert status == 2
    assert "bad.yml" in err


def test_evaluate_prints_scores_and_writes_an_html_report(
    model_dir: Path, tmp_path: Path, capsys
) -> None:
    report = tmp_path / "report"
    status, out, _ = run(
        [
            "evaluate",
            "--model",
            str(model_dir),
            "--data",
            str(FIXTURES / "train"),
            "--report",
            str(report),
        ],
        capsys,
    )
    assert status == 0
    assert "precision" in out and "operating point" in out
    html = (report / "index.html").read_text()
    assert "<svg" in html and "Confusion matrix" in html and "operating point" in html


def test_evaluate_json_has_the_headline_figures(model_dir: Path, capsys) -> None:
    status, out, _ = run(
        ["evaluate", "--model", str(model_dir), "--data", str(FIXTURES / "train"), "--json"], capsys
    )
    figures = json.loads(out)
    assert status == 0
    assert {"accuracy", "escalation_rate", "oos_recall", "confusion", "curve"} <= set(figures)


def test_clinc150_benchmark_runs_on_a_tiny_file(tmp_path: Path, capsys) -> None:
    from nlu.dataset import load_examples

    examples = [(e.text, e.intent) for e in load_examples(FIXTURES / "train")]
    in_scope = [[t, i] for t, i in examples if i != "out_of_scope"]
    oos = [[t, "oos"] for t, i in examples if i == "out_of_scope"]
    data = {
        "train": in_scope,
        "val": in_scope,
        "test": in_scope,
        "oos_val": oos,
        "oos_test": oos,
        "oos_train": [],
    }
    path = tmp_path / "data_full.json"
    path.write_text(json.dumps(data))
    status, out, _ = run(["evaluate", "--clinc150", str(path), "--json"], capsys)
    figures = json.loads(out)
    assert status == 0
    assert {
        "in_scope_accuracy",
        "oos_recall",
        "train_seconds",
        "latency_p99_ms",
        "throughput_per_s",
    } <= set(figures)
    assert 0.0 <= figures["in_scope_accuracy"] <= 1.0


def test_copy_of_model_dir_is_usable(model_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(model_dir, tmp_path / "copy")
    assert registry.resolve(tmp_path / "copy").name == registry.current_version(model_dir)


def test_classify_with_a_threshold_outside_zero_one_is_a_clear_error(
    model_dir: Path, capsys
) -> None:
    status, out, err = run(
        ["classify", "--model", str(model_dir), "--threshold", "2", "hi"], capsys
    )
    assert status == 2
    assert out == ""
    assert "threshold" in err


def test_report_escapes_customer_text(model_dir: Path, tmp_path: Path, capsys) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"text": "<script>alert(1)</script> hello", "intent": "thanks"}))
    status, _, _ = run(
        ["evaluate", "--model", str(model_dir), "--data", str(data), "--report", str(tmp_path)],
        capsys,
    )
    html = (tmp_path / "index.html").read_text()
    assert status == 0
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html
