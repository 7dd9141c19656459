"""`python -m integrations.contracts` and `chatbot contracts`: every contract check, a
table per API (version, calls checked, result); the same checks pytest runs."""

from __future__ import annotations

import pytest

from chatserver.cli import main as chatbot
from integrations.contracts import __main__ as command
from integrations.contracts.report import Result, render

APIS = (
    "Shopify Admin GraphQL", "Zendesk Support", "USPS Tracking", "FedEx Track", "UPS Track",
    "DHL Shipment Tracking - Unified",
)  # fmt: skip


def test_every_check_passes_and_each_api_gets_its_table(spec_dir, capsys):
    assert command.main(["--specs", str(spec_dir)]) == 0
    out = capsys.readouterr().out
    for api in APIS:
        assert f"{api}\n  version" in out
    assert "FAILED" not in out
    for version in ("2025-04", "2025-07", "2026-01", "2026-04"):
        assert f"  {version} " in out
    assert out.rstrip().endswith("0 of 9 rows failed")


def test_chatbot_contracts_runs_the_same_checks(spec_dir, capsys):
    assert chatbot(["contracts", "--specs", str(spec_dir), "--api", "dhl", "--notes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("DHL Shipment Tracking - Unified\n  version  calls checked  result")
    assert "note: recorded TrackingResponseJSON.json (200) departs from the spec" in out


def test_without_the_specs_it_says_where_it_looked_and_what_to_do(tmp_path, capsys):
    assert command.main(["--specs", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "no published API specs" in err and "--specs PATH" in err


def test_an_unknown_api_is_named(tmp_path, capsys, spec_dir):
    assert command.main(["--specs", str(spec_dir), "--api", "royalmail"]) == 2
    assert "no contract check for royalmail" in capsys.readouterr().err


def test_a_failed_check_fails_the_command_and_lists_its_problems(monkeypatch, capsys, spec_dir):
    failing = [Result("Acme API", "v9", calls=3, problems=["POST /x: ticket.foo: not declared"])]
    monkeypatch.setattr(command, "run_all", lambda *_: failing)
    assert command.main(["--specs", str(spec_dir)]) == 1
    out = capsys.readouterr().out
    assert out == render(failing) + "\n"
    assert "  v9                   3  FAILED (1)\n    v9: POST /x: ticket.foo: not declared" in out


@pytest.mark.parametrize("verbose", [False, True])
def test_notes_are_shown_only_when_asked(verbose):
    row = Result("Acme API", "v1", calls=1, notes=["the spec says string, reality sends null"])
    assert ("note: the spec says string" in render([row], verbose=verbose)) is verbose
