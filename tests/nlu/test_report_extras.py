"""`chatbot evaluate --report`: the shop owner's view of errors and of the threshold."""

from __future__ import annotations

from pathlib import Path

from chatserver.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_report_lists_errors_and_a_threshold_table_with_the_operating_point(
    model_dir: Path, tmp_path: Path, capsys
) -> None:
    data = tmp_path / "heldout"
    data.mkdir()
    (data / "track_order.yml").write_text(
        "intent: track_order\nexamples:\n  - hello there\n  - where is my parcel\n"
    )
    (data / "greeting.yml").write_text("intent: greeting\nexamples:\n  - hi\n")
    report = tmp_path / "report"
    argv = ["evaluate", "--model", str(model_dir), "--data", str(data), "--report", str(report)]
    assert main(argv) == 0
    capsys.readouterr()
    html = (report / "index.html").read_text()
    # The mislabelled "hello there": its text, expected and predicted intent, confidence.
    errors = html[html.index("Errors by expected intent") :]
    assert "hello there" in errors
    assert "<td>track_order</td>" in errors and "<td>greeting</td>" in errors
    assert "confidence" in errors
    # The curve as numbers too, the operating point's row marked, and how to change it.
    assert html.count('class="here"') == 1 and "(operating point)" in html
    assert "confidence_threshold" in html
    assert "<th>1.00</th>" in html and "<th>0.00</th>" in html
