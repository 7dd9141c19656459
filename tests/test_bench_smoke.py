"""Every benchmark runs end to end at a tiny size and writes well-formed results.

No timings are asserted: performance is measured by the commands and reported in
docs/benchmarks.md. Each test starts real server processes on loopback ports.
"""

from __future__ import annotations

import json
import math

import pytest

from bench import chat_load, connections, email_load, scale_out, slow_world, turn_profile, turns
from bench.stats import percentile, summarise

pytestmark = pytest.mark.slow

LATENCY_KEYS = {"turns", "turns_per_s", "p50_ms", "p95_ms", "p99_ms", "max_ms", "outcomes"}


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _check_turn_rows(rows, clients):
    totals = [r for r in rows if r["kind"] == "all"]
    assert totals
    for row in rows:
        assert set(row) >= LATENCY_KEYS
        assert sum(row["outcomes"].values()) >= row["turns"]
    for row in totals:
        assert row["connected"] == clients and row["connect_failed"] == 0
        assert row["turns"] > 0 and row["p50_ms"] <= row["p99_ms"] <= row["max_ms"]
        assert row["server_cpu_%"] >= 0 and row["client_cpu_%"] >= 0


def test_percentile_and_summary_are_plain_arithmetic():
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 99) == 4.0
    assert math.isnan(percentile([], 50))
    turns = [("g", "a", 0.0, 0.010, "ok"), ("g", "a", 1.0, 1.030, "wrong"),
             ("g", "b", 1.5, 1.6, "timeout"), ("g", "b", 9.0, 9.1, "ok")]  # fmt: skip
    rows = summarise(turns, 0.0, 2.0)
    assert rows["a"]["turns"] == 2 and rows["a"]["p99_ms"] == pytest.approx(30.0)
    assert rows["b"]["turns"] == 0 and rows["b"]["outcomes"] == {"timeout": 1}
    assert rows["all"]["turns_per_s"] == 1.0


def test_chat_load_against_the_echo(tmp_path, capsys):
    out = tmp_path / "chat.json"
    assert chat_load.main(["--clients", "2", "--turns", "2", "--json", str(out)]) == 0
    result = _load(out)
    assert {r["target"] for r in result["rows"]} == {"echo", "chat"}
    _check_turn_rows(result["rows"], 2)
    assert result["ratios"][0]["clients"] == 2 and result["ratios"][0]["chat_vs_echo"] > 0
    assert result["machine"]["cores"] >= 1
    assert "chat throughput" in capsys.readouterr().out


def test_idle_connections_and_their_memory(tmp_path):
    out = tmp_path / "conn.json"
    argv = ["--connections", "5", "--procs", "1", "--hold", "0", "--sessions", "--json", str(out)]
    assert connections.main(argv) == 0
    (row,) = _load(out)["rows"]
    assert row["connected"] == 5 and row["failed"] == 0 and row["alive_after_hold"] == 5
    assert row["rss_after_mib"] > 0 and "kib_per_connection" in row


def test_slow_world_small_talk_with_and_without_trackers(tmp_path):
    out = tmp_path / "slow.json"
    argv = ["--small", "2", "--trackers", "2", "--turns", "2", "--latency", "usps=0.1",
            "--json", str(out)]  # fmt: skip
    assert slow_world.main(argv) == 0
    rows = _load(out)["rows"]
    assert {r["run"] for r in rows} == {"small talk alone", "with slow trackers"}
    assert any(r["kind"].startswith("tracker") for r in rows)


def test_email_through_the_zendesk_sandbox(tmp_path):
    out = tmp_path / "email.json"
    argv = ["--rates", "2", "--seconds", "1", "--drain", "30", "--json", str(out)]
    assert email_load.main(argv) == 0
    (row,) = _load(out)["rows"]
    assert row["tickets"] == 2 and row["webhooks_ok"] == 2 and row["webhooks_failed"] == 0
    assert row["replies"] + row["escalated"] + row["unanswered"] == 2


def test_scale_out_harness_one_and_two_processes(tmp_path):
    out = tmp_path / "scale.json"
    argv = ["--clients", "2", "--turns", "2", "--database-url", "", "--redis-url", "",
            "--json", str(out)]  # fmt: skip
    assert scale_out.main(argv) == 0
    result = _load(out)
    assert {r["processes"] for r in result["rows"]} == {1, 2}
    _check_turn_rows(result["rows"], 2)
    assert result["ratio_2_vs_1"] > 0


def test_turns_reports_every_part_in_one_run(tmp_path, capsys):
    out = tmp_path / "turns.json"
    argv = ["--seconds", "1", "--warmup", "0.5", "--clients", "2", "--busy-clients", "3",
            "--think", "0.05", "--connections", "4", "--procs-idle", "1", "--hold", "0",
            "--no-scale", "--json", str(out)]  # fmt: skip
    assert turns.main(argv) == 0
    result = _load(out)
    parts = {(r["part"], r["target"]) for r in result["rows"]}
    assert parts == {("throughput", "echo"), ("throughput", "chat"),
                     ("latency, think 0.05 s", "chat")}  # fmt: skip
    summary = result["summary"]
    assert summary["chat_vs_echo"] > 0 and summary["chat_ms_per_turn"] > 0
    assert summary["idle"]["connected"] == 4 and summary["idle"]["alive_after_hold"] == 4
    assert summary["errors"] == 0 and set(summary["targets_met"]) == {
        "share >= 20 %", "p99 <= 50 ms", "no errors"}  # fmt: skip
    assert "of the echo's turns/s" in capsys.readouterr().out


def test_turn_profile_names_every_stage(tmp_path):
    rows = turn_profile.profile(4)
    by_conversation = {r["conversation"] for r in rows}
    assert by_conversation == set(turn_profile.CONVERSATIONS)
    stages = {r["stage"] for r in rows}
    assert {"classify", "start_turn transaction", "finish_turn transaction"} <= stages
    totals = [r for r in rows if r["stage"].startswith("TOTAL")]
    assert all(r["us_per_turn"] > 0 for r in totals)
