"""Benchmark 1: chat turns under load, against a bare python-socketio echo on the same stack.

For each client count it runs the echo server and then the demo server, each in its own
process, under the same closed-loop load (``bench.loadgen``): every customer plays the case
study with small talk around it — "hi", "…Has it shipped?", "maria@example.com #1001",
"thanks", "bye" — in a fresh session, again and again. It reports turns/s, turn latency
percentiles, the server's and the clients' CPU, and the chat server's throughput as a share
of the echo's.

    python -m bench.chat_load --clients 10 100 1000 --seconds 20 --json chat.json
    python -m bench.chat_load --clients 100 --profile profile.txt   # + a py-spy run

Aim (issue 7): at 100 clients, >= 50 % of the echo's turns/s and p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.loadgen import CASE_STUDY, Group, LoadResult, Turn, run_load
from bench.procs import (
    UNTHROTTLED,
    ServerProcess,
    fresh_database,
    machine,
    start_demo_server,
    start_echo_server,
    system_busy_seconds,
)
from bench.profile import top_frames
from bench.stats import print_table, summarise, write_json

__all__ = ["main", "measure"]

COLUMNS = ("target", "clients", "kind", "turns", "turns_per_s", "p50_ms", "p95_ms", "p99_ms",
           "max_ms", "server_cpu_%", "server_ms_per_turn", "client_cpu_%", "other_cpu_%",
           "outcomes")  # fmt: skip


class CpuWindow:
    """The CPU time ``servers`` use between two moments, sampled from a thread."""

    def __init__(self, servers: Sequence[ServerProcess]) -> None:
        self.servers = servers
        self.before = [0.0] * (len(servers) + 1)
        self.after = [0.0] * (len(servers) + 1)
        self.thread: threading.Thread | None = None

    def sample(self) -> list[float]:
        return [system_busy_seconds(), *(s.cpu_seconds() for s in self.servers)]

    def schedule(self, start: float, end: float) -> None:
        def run() -> None:
            time.sleep(max(0.0, start - time.monotonic()))
            self.before = self.sample()
            if end:
                time.sleep(max(0.0, end - time.monotonic()))
                self.after = self.sample()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()

    def servers_percent(self, seconds: float) -> float:
        used = sum(self.after[1:]) - sum(self.before[1:])
        return round(100 * used / seconds, 1) if seconds > 0 else 0.0

    def machine_percent(self, seconds: float) -> float:
        """All processes, all cores (200 % = both cores of a 2-core machine busy)."""
        used = self.after[0] - self.before[0]
        return round(100 * used / seconds, 1) if seconds > 0 else 0.0


def measure(
    target: str,
    servers: Sequence[ServerProcess],
    groups: Sequence[Group],
    *,
    seconds: float,
    warmup: float,
    turns: int = 0,
    procs: int = 1,
    spread: int = 1,
    profile: Path | None = None,
    py_spy: str | None = None,
) -> tuple[list[dict[str, Any]], LoadResult]:
    """One closed-loop run; rows per turn kind (and ``all``) with CPU use."""
    cpu = CpuWindow(servers)
    spy: list[subprocess.Popen[bytes]] = []

    def on_start(go: float) -> None:
        if seconds:
            cpu.schedule(go + warmup, go + warmup + seconds)
        else:
            cpu.schedule(go, 0)
        if profile is not None and py_spy:
            cmd = [py_spy, "record", "--pid", str(servers[0].pid), "--duration",
                   str(int(seconds or 10)), "--format", "raw", "--rate", "200",
                   "--nonblocking", "-o", str(profile)]  # fmt: skip
            time.sleep(max(0.0, go + warmup - time.monotonic()))
            spy.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))

    result = run_load([s.url for s in servers], groups, seconds=warmup + seconds if seconds else 0,
                      turns=turns, procs=procs, spread=spread, on_start=on_start)  # fmt: skip
    if seconds:
        start, end = result.go + warmup, result.go + warmup + seconds
    else:
        start = result.go
        end = max((t[3] for t in result.turns), default=start + 1e-3)
        cpu.after = cpu.sample()
    window = end - start
    for p in spy:
        p.wait(60)
    for text, replies in result.wrong[:3]:
        print(f"  {target}: unexpected answer to {text[:40]!r}: {[r[:120] for r in replies]}")
    rows = []
    cpu.join()
    server_cpu = cpu.servers_percent(window)
    client_cpu = (
        round(100 * result.cpu_seconds / result.wall_seconds, 1) if result.wall_seconds else 0.0
    )
    # What else ran on the machine meanwhile (other jobs skew the figures).
    other_cpu = round(max(0.0, cpu.machine_percent(window) - server_cpu - client_cpu), 1)
    clients = sum(g.clients for g in groups)
    for kind, row in summarise(result.turns, start, end).items():
        row.update(target=target, clients=clients, kind=kind)
        if kind == "all":
            # Server CPU per turn: less sensitive to the machine's other load than turns/s.
            per_turn = server_cpu * 10 * window / row["turns"] if row["turns"] else None
            row["server_ms_per_turn"] = round(per_turn, 2) if per_turn is not None else None
            row.update({"server_cpu_%": server_cpu, "client_cpu_%": client_cpu, "other_cpu_%": other_cpu,
                        "connected": result.connected, "connect_failed": result.connect_failed,
                        "window_s": round(window, 2)})  # fmt: skip
        rows.append(row)
    return rows, result


def _echo_script(script: Sequence[Turn]) -> tuple[Turn, ...]:
    return tuple(Turn(t.text, t.kind) for t in script)  # the echo cannot pass the checks


def _bucket(value: str) -> str | None:
    return None if value == "standard" else value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument(
        "--turns", type=int, default=0, help="instead of --seconds: turns per client"
    )
    parser.add_argument("--procs", type=int, default=1, help="client processes")
    parser.add_argument("--spread", type=int, default=1, help="loopback source addresses")
    parser.add_argument("--no-echo", action="store_true", help="skip the echo baseline")
    parser.add_argument(
        "--database-url",
        help="e.g. postgresql+asyncpg://postgres@127.0.0.1/bench "
        "(a fresh database per run; default SQLite in the work dir)",
    )
    parser.add_argument("--sqlite-wal", action="store_true", help="SQLite in WAL mode")
    parser.add_argument("--shopify-bucket", default=UNTHROTTLED, metavar="SIZE/RATE",
                        help="Shopify sandbox cost bucket; 'standard' keeps the plan's 1000/50")  # fmt: skip
    parser.add_argument("--model-dir", help="intent model directory (default: the installed one)")
    parser.add_argument("--workdir", type=Path, help="database and logs (default: a temp dir)")
    parser.add_argument(
        "--profile", type=Path, help="then one more run under py-spy; top frames here"
    )
    parser.add_argument("--py-spy", default=shutil.which("py-spy"), help="py-spy executable")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    seconds = 0.0 if args.turns else args.seconds
    warmup = 0.0 if args.turns else args.warmup
    opts = {"seconds": seconds, "warmup": warmup, "turns": args.turns, "procs": args.procs,
            "spread": args.spread}  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        rows: list[dict[str, Any]] = []
        ratios = []
        with (
            fresh_database(args.database_url) as database_url,
            start_demo_server(
                workdir,
                model_dir=args.model_dir,
                shopify_bucket=_bucket(args.shopify_bucket),
                database_url=database_url,
                sqlite_wal=args.sqlite_wal,
            ) as chat,
        ):
            model = chat.ready.get("model_version")
            print(
                f"chat server pid {chat.pid}, model {model or 'NONE: every turn goes to a human'}"
            )
            echo = None if args.no_echo else start_echo_server(workdir)
            try:
                for n in args.clients:
                    echo_all = None
                    if echo is not None:
                        echo_rows, _ = measure(
                            "echo", [echo], [Group("c", n, _echo_script(CASE_STUDY))], **opts
                        )
                        rows += echo_rows
                        echo_all = echo_rows[-1]
                    chat_rows, _ = measure("chat", [chat], [Group("c", n, CASE_STUDY)], **opts)
                    rows += chat_rows
                    if echo_all and echo_all["turns_per_s"]:
                        ratio = chat_rows[-1]["turns_per_s"] / echo_all["turns_per_s"]
                        ratios.append({"clients": n, "chat_vs_echo": round(ratio, 3)})
            finally:
                if echo is not None:
                    echo.stop()
            profile = None
            if args.profile and args.py_spy:
                raw = args.profile.with_suffix(".raw")
                n = args.clients[len(args.clients) // 2]
                measure("chat (py-spy)", [chat], [Group("c", n, CASE_STUDY)], profile=raw,
                        py_spy=args.py_spy, **opts)  # fmt: skip
                profile = top_frames(raw, args.profile)
            elif args.profile:
                print("no py-spy found: pip install py-spy, or pass --py-spy PATH")
        print_table(rows, COLUMNS)
        for r in ratios:
            print(
                f"{r['clients']} clients: chat throughput = {100 * r['chat_vs_echo']:.0f} % of the echo's"
            )
        write_json(args.json, {"benchmark": "chat_load", "machine": machine(), "args": vars(args),
                               "model_version": model, "rows": rows, "ratios": ratios,
                               "profile": profile})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
