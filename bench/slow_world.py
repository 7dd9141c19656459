"""Benchmark 4: a slow outside world must only slow the customers who wait on it.

The demo server runs with sandbox latency injected (``Faults.latency``, through
``bench.server --latency``). Small-talk customers ("hi", "thanks", "bye") play first
alone, then alongside trackers who play the case study, whose answer turn waits on the
slow APIs. Small talk should keep its latency.

Tracking answers are cached per number for 60 s (``CarrierRegistry``), so with only
``usps=2`` most tracking turns would not wait at all; the default also slows the Shopify
order lookup, which every tracking turn makes, so each one waits at least 2 s.

    python -m bench.slow_world --small 50 --trackers 50 --latency usps=2 shopify=2
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from bench.chat_load import measure
from bench.loadgen import CASE_STUDY, SMALL_TALK, Group, Turn
from bench.procs import UNTHROTTLED, machine, start_demo_server
from bench.server import parse_latency
from bench.stats import print_table, write_json

__all__ = ["main"]

COLUMNS = ("run", "kind", "turns", "turns_per_s", "p50_ms", "p95_ms", "p99_ms", "max_ms",
           "server_cpu_%", "other_cpu_%", "outcomes")  # fmt: skip

# The trackers' small talk is reported apart from the small-talk customers'.
TRACKER = tuple(Turn(t.text, "tracker " + t.kind, t.expect) for t in CASE_STUDY)


def _bucket(value: str) -> str | None:
    return None if value == "standard" else value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=50, help="small-talk customers")
    parser.add_argument("--trackers", type=int, default=50, help="case-study customers")
    parser.add_argument(
        "--latency", nargs="+", default=["usps=2.0", "shopify=2.0"], metavar="API=S"
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--turns", type=int, default=0, help="instead of --seconds")
    parser.add_argument("--procs", type=int, default=1)
    parser.add_argument("--shopify-bucket", default=UNTHROTTLED, metavar="SIZE/RATE",
                        help="Shopify sandbox cost bucket; 'standard' keeps the plan's 1000/50")  # fmt: skip
    parser.add_argument("--model-dir")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    latency = parse_latency(args.latency)
    opts: dict[str, Any] = {"seconds": 0.0 if args.turns else args.seconds,
                            "warmup": 0.0 if args.turns else args.warmup,
                            "turns": args.turns, "procs": args.procs}  # fmt: skip
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-slow-") as tmp,
        start_demo_server(
            Path(tmp),
            model_dir=args.model_dir,
            shopify_bucket=_bucket(args.shopify_bucket),
            latency=latency,
        ) as server,
    ):
        runs = {
            "small talk alone": [Group("small", args.small, SMALL_TALK)],
            "with slow trackers": [
                Group("small", args.small, SMALL_TALK),
                Group("trackers", args.trackers, TRACKER),
            ],
        }
        for name, groups in runs.items():
            run_rows, _ = measure(name, [server], groups, **opts)
            for row in run_rows:
                row["run"] = name
            rows += run_rows
    print(f"sandbox latency: {latency}")
    print_table(rows, COLUMNS)
    write_json(args.json, {"benchmark": "slow_world", "machine": machine(), "args": vars(args),
                           "rows": rows})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
