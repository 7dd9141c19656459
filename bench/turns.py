"""Issue 16 in one run: a chat turn against the cost of its transport.

Every server is plain ``chatbot serve --config FILE`` whose ``limits:`` section lifts the
per-client limits (``bench.procs.NO_LIMITS``); the baseline is the bare python-socketio
echo (``bench.echo_server``) on the same harness. The conversation is small talk,
"hello" then "thanks", in a fresh session each pass. Parts, each sized by its options:

1. **throughput**: ``--clients`` (20) customers with no pause, echo then chat, for
   ``--seconds``: turns/s, chat as a share of the echo, server CPU ms per turn.
2. **latency**: ``--busy-clients`` (100) customers who think ``--think`` (0.3 s) after
   each answer: p50/p95/p99.
3. **idle connections**: ``--connections`` (10,000) Socket.IO connections held
   ``--hold`` seconds: the server's memory per connection.
4. **scale-out**: 1 and 2 processes on PostgreSQL (``--database-url``) and Redis
   (``--redis-url``), ``--scale-clients`` customers with no pause: turns/s and CPU
   ms per turn per process (the load generator shares the cores, so CPU per turn is
   the figure that says what a process costs). ``--no-scale`` skips it.

    python -m bench.turns --json turns.json
    python -m bench.turns --seconds 3 --clients 2 --busy-clients 4 --connections 20 --hold 0 --no-scale

Targets (issue 16, 2 cores): chat >= 20 % of the echo's turns/s; p99 <= 50 ms at 100
customers thinking 0.3 s; no errors.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from bench.chat_load import measure
from bench.connections import measure_connections
from bench.loadgen import Group, Turn
from bench.procs import fresh_database, machine, start_demo_server, start_echo_server
from bench.stats import print_table, write_json

__all__ = ["HELLO_THANKS", "main", "run"]

HELLO_THANKS = (Turn("hello", "small talk"), Turn("thanks", "small talk"))
COLUMNS = ("part", "target", "clients", "turns", "turns_per_s", "p50_ms", "p99_ms",
           "server_cpu_%", "server_ms_per_turn", "other_cpu_%", "outcomes")  # fmt: skip
TARGET_SHARE = 0.20
TARGET_P99_MS = 50.0


def _all(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for r in rows if r["kind"] == "all")


def _errors(row: dict[str, Any]) -> int:
    return sum(n for outcome, n in (row.get("outcomes") or {}).items() if outcome != "ok")


def run(args: argparse.Namespace) -> dict[str, Any]:
    opts = {"seconds": args.seconds, "warmup": args.warmup, "procs": args.procs}
    rows: list[dict[str, Any]] = []
    summary: dict[str, Any] = {"load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-turns-") as tmp:
        workdir = Path(tmp)
        with start_demo_server(workdir, model_dir=args.model_dir) as chat:
            summary["model_version"] = chat.ready.get("model_version")
            with start_echo_server(workdir) as echo:
                echo_rows, _ = measure("echo", [echo], [Group("c", args.clients, HELLO_THANKS)],
                                       **opts)  # fmt: skip
            chat_rows, _ = measure("chat", [chat], [Group("c", args.clients, HELLO_THANKS)],
                                   **opts)  # fmt: skip
            e, c = _all(echo_rows), _all(chat_rows)
            for r in (e, c):
                rows.append({**r, "part": "throughput"})
            share = c["turns_per_s"] / e["turns_per_s"] if e["turns_per_s"] else 0.0
            summary.update(echo_turns_per_s=e["turns_per_s"], chat_turns_per_s=c["turns_per_s"],
                           chat_vs_echo=round(share, 3),
                           chat_ms_per_turn=c["server_ms_per_turn"],
                           echo_ms_per_turn=e["server_ms_per_turn"])  # fmt: skip
            busy = Group("c", args.busy_clients, HELLO_THANKS, think=args.think)
            busy_rows, _ = measure("chat", [chat], [busy], **opts)
            b = _all(busy_rows)
            rows.append({**b, "part": f"latency, think {args.think:g} s"})
            summary.update(p99_ms_busy=b["p99_ms"], busy_turns_per_s=b["turns_per_s"])
            errors = _errors(c) + _errors(b)
        if args.connections:
            (workdir / "idle").mkdir()
            with start_demo_server(workdir / "idle", model_dir=args.model_dir) as idle:
                conn = measure_connections(idle.url, idle.rss_bytes, args.connections,
                                           procs=args.procs_idle, hold=args.hold)  # fmt: skip
            summary["idle"] = conn
            errors += conn["failed"] + (conn["connected"] - conn["alive_after_hold"])
        if not args.no_scale:
            summary["scale_out"] = scale = _scale_out(args, workdir, opts)
            rows += scale["rows"]
            errors += scale["errors"]
    summary["errors"] = errors
    summary["load_after"] = os.getloadavg()
    summary["targets_met"] = {
        "share >= 20 %": summary["chat_vs_echo"] >= TARGET_SHARE,
        "p99 <= 50 ms": (summary["p99_ms_busy"] or 1e9) <= TARGET_P99_MS,
        "no errors": errors == 0,
    }
    return {"rows": rows, "summary": summary}


def _scale_out(args: argparse.Namespace, workdir: Path, opts: dict[str, Any]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    per_process: dict[int, float | None] = {}
    errors = 0
    for count in (1, 2):
        with (
            fresh_database(args.database_url) as database_url,
            contextlib.ExitStack() as stack,
        ):
            (workdir / f"scale{count}").mkdir(exist_ok=True)
            servers = [
                stack.enter_context(
                    start_demo_server(
                        workdir / f"scale{count}",
                        model_dir=args.model_dir,
                        database_url=database_url,
                        redis_url=args.redis_url,
                    )
                )
                for _ in range(count)
            ]
            run_rows, _ = measure(f"{count} proc, PG+Redis", servers,
                                  [Group("c", args.scale_clients, HELLO_THANKS)], **opts)  # fmt: skip
        row = {**_all(run_rows), "part": "scale-out"}
        rows.append(row)
        errors += _errors(row)
        per_process[count] = row["server_ms_per_turn"]  # all processes' CPU / all turns
    return {"rows": rows, "ms_per_turn": per_process, "errors": errors,
            "turns_per_s": {r["target"]: r["turns_per_s"] for r in rows}}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="measured window per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--clients", type=int, default=20, help="throughput: no pause")
    parser.add_argument("--busy-clients", type=int, default=100, help="latency: with --think")
    parser.add_argument("--think", type=float, default=0.3, help="seconds between turns")
    parser.add_argument("--procs", type=int, default=1, help="client processes")
    parser.add_argument("--connections", type=int, default=10_000, help="idle; 0 skips")
    parser.add_argument("--procs-idle", type=int, default=2, help="client processes, idle")
    parser.add_argument("--hold", type=float, default=30.0, help="idle seconds before measuring")
    parser.add_argument("--scale-clients", type=int, default=20)
    parser.add_argument("--no-scale", action="store_true", help="skip PostgreSQL + Redis")
    parser.add_argument("--database-url", default="postgresql+asyncpg://postgres@127.0.0.1/bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--model-dir", help="intent model directory (default: the installed one)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    result = run(args)
    s = result["summary"]
    print_table(result["rows"], COLUMNS)
    print(f"chat = {100 * s['chat_vs_echo']:.1f} % of the echo's turns/s "
          f"({s['chat_turns_per_s']} vs {s['echo_turns_per_s']}); "
          f"CPU {s['chat_ms_per_turn']} ms/turn (echo {s['echo_ms_per_turn']})")  # fmt: skip
    print(f"p99 at {args.busy_clients} clients thinking {args.think:g} s: {s['p99_ms_busy']} ms")
    if "idle" in s:
        i = s["idle"]
        print(f"{i['connected']}/{i['connections']} idle connections, "
              f"{i['alive_after_hold']} alive after {i['hold_s']:g} s, "
              f"{i['kib_per_connection']} KiB each")  # fmt: skip
    if "scale_out" in s:
        print(f"scale-out CPU ms/turn (all processes): {s['scale_out']['ms_per_turn']}; "
              f"turns/s {s['scale_out']['turns_per_s']}")  # fmt: skip
    print(f"errors: {s['errors']}; targets met: {s['targets_met']}; "
          f"load average {s['load_before']} → {s['load_after']}")  # fmt: skip
    write_json(args.json, {"benchmark": "turns", "machine": machine(), "args": vars(args),
                           **result})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
