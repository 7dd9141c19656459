"""`chatbot serve`: run the server (demo mode when no real credentials are configured).

With ``--workers N`` (N > 1) this process becomes a small supervisor: it starts N server
processes that share the port (``SO_REUSEPORT``, the kernel spreads connections among
them), restarts one that dies, and passes SIGTERM/SIGINT on to all of them. Several
processes need a store they can share (PostgreSQL) and Redis for Socket.IO fan-out;
``docs/deployment.md`` explains why and what clients must do (websocket transport).
"""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import subprocess
import sys
import time
from typing import Any

__all__ = ["register", "shared_setup_problems"]

log = logging.getLogger(__name__)

RESTART_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # for a worker that keeps dying at once
STABLE_SECONDS = 30.0  # a worker that ran this long restarts at once after a crash
STOP_SECONDS = 30.0  # graceful stop before SIGKILL
# After SIGTERM the chat lets turns finish and closes every connection itself (a few
# seconds); this bounds what aiohttp then waits for the last requests to end.
SHUTDOWN_SECONDS = 15.0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="run the chat server")
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 8080)")
    p.add_argument("--config", default=None, help="YAML settings file")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (default 1; more need PostgreSQL and Redis)",
    )
    p.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # workers
    p.set_defaults(func=run)


def shared_setup_problems(settings: Any) -> list[str]:
    """Why these settings cannot run in several processes (empty when they can)."""
    problems = []
    if settings.database_backend != "postgresql":
        problems.append(
            "several workers need a PostgreSQL database_url: SQLite serialises every write "
            "through one file lock and cannot order the turns of a session across processes"
        )
    if not settings.redis_url:
        problems.append(
            "several workers need redis_url: without it a reply reaches only the sockets "
            "connected to the process that produced it (agents and other tabs miss it)"
        )
    return problems


def run(args: argparse.Namespace) -> int:
    from aiohttp import web

    from chatserver.app import create_app
    from chatserver.errors import ConfigError
    from chatserver.settings import load_settings, unsafe_secrets

    try:
        settings = load_settings(args.config, host=args.host, port=args.port)
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    unsafe = unsafe_secrets(settings)  # production mode with a forgeable secret
    for problem in unsafe:
        log.error("refusing to start: %s", problem)
    if unsafe:
        return 2
    if args.workers < 1:
        log.error("--workers: expected 1 or more, got %d", args.workers)
        return 2
    if args.workers > 1:
        problems = shared_setup_problems(settings)
        for problem in problems:
            log.error("%s", problem)
        if problems:
            return 2
        return supervise(args, args.workers)
    mode = "demo (sandboxes of every outside API)" if settings.demo else "production"

    def serving(_: str) -> None:  # once the app has started and the port is bound
        log.info("serving on %s in %s mode", settings.base_url, mode)

    app = create_app(settings)
    app.on_startup.append(_freeze_heap)  # after the model and the stores are loaded
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=serving,
        reuse_port=args.reuse_port or None,
        shutdown_timeout=SHUTDOWN_SECONDS,
    )
    log.info("stopped")
    return 0


async def _freeze_heap(app: Any) -> None:
    """Move everything alive after start-up out of the garbage collector's sight.

    The imports and the intent model are hundreds of thousands of objects that live as
    long as the process; without this, every full collection walks them all again.
    """
    gc.collect()
    gc.freeze()


def _worker_command(args: argparse.Namespace) -> list[str]:
    command = [sys.executable, "-m", "chatserver"]
    if getattr(args, "verbose", False):
        command.append("--verbose")
    command += ["serve", "--reuse-port"]
    for option in ("host", "port", "config"):
        value = getattr(args, option)
        if value is not None:
            command += [f"--{option}", str(value)]
    return command


def supervise(args: argparse.Namespace, workers: int) -> int:
    """Run ``workers`` server processes until SIGTERM/SIGINT; restart any that dies."""
    command = _worker_command(args)
    stopping = False

    def stop(signum: int, _: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    procs: list[subprocess.Popen[bytes] | None] = [None] * workers
    started = [0.0] * workers
    failures = [0] * workers
    due = [0.0] * workers  # when a dead worker may be started again
    log.info("supervising %d workers: %s", workers, " ".join(command))
    try:
        while not stopping:
            now = time.monotonic()
            for i in range(workers):
                proc = procs[i]
                if proc is not None and proc.poll() is not None:
                    ran = now - started[i]
                    failures[i] = 0 if ran >= STABLE_SECONDS else failures[i] + 1
                    delay = (
                        RESTART_DELAYS[min(failures[i], len(RESTART_DELAYS)) - 1]
                        if failures[i]
                        else 0.0
                    )
                    log.error(
                        "worker %d (pid %d) exited with %s after %.1fs; restarting in %.1fs",
                        i, proc.pid, proc.returncode, ran, delay,
                    )  # fmt: skip
                    procs[i], due[i] = None, now + delay
                if procs[i] is None and now >= due[i]:
                    procs[i] = subprocess.Popen(command)
                    started[i] = now
                    log.info("worker %d started (pid %d)", i, procs[i].pid)  # type: ignore[union-attr]
            time.sleep(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_all([p for p in procs if p is not None])
    return 0


def _stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.error("worker pid %d did not stop in %.0fs: killing it", proc.pid, STOP_SECONDS)
            proc.kill()
            proc.wait()
