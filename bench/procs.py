"""Processes under test: start a server on a free loopback port, wait until it is ready,
read its CPU time and memory from ``/proc``, stop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

__all__ = [
    "NO_LIMITS",
    "UNTHROTTLED",
    "ServerProcess",
    "demo_config",
    "free_port",
    "fresh_database",
    "machine",
    "start_demo_server",
    "start_echo_server",
    "system_busy_seconds",
]

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "commit": _commit(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def system_busy_seconds() -> float:
    """CPU time every core of the machine spent busy since boot (all processes)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def _commit() -> str:
    """The code measured: HEAD, with ``+dirty`` when the tree has uncommitted changes."""
    root = Path(__file__).parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


@dataclass
class ServerProcess:
    """A server started as a subprocess; ``url`` is where it listens."""

    cmd: list[str]
    url: str
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    ready: dict[str, Any] = field(default_factory=dict)

    def start(self, timeout: float = 120.0) -> ServerProcess:
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.cmd, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parent.parent
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}): {self.tail()}")
            try:
                r = httpx.get(self.url + "/readyz", timeout=2.0)
                if r.status_code == 200:
                    self.ready = r.json()
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout:.0f}s: {self.tail()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_bytes(self) -> int:
        fields = Path(f"/proc/{self.pid}/statm").read_text().split()
        return int(fields[1]) * PAGE

    def tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def demo_config(workdir: Path, port: int, **extra: Any) -> Path:
    """A config file for a demo server whose database and data live in ``workdir``."""
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "database_url": f"sqlite+aiosqlite:///{workdir / 'chatbot.sqlite3'}",
        "data_dir": str(workdir),
    }
    values.update({k: v for k, v in extra.items() if v is not None})
    path = workdir / f"config-{port}.yml"
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


# The ``limits:`` section that lifts every per-client limit (0 is off; docs/security.md):
# a load generator on 127.0.0.1 is one address with thousands of chats.
NO_LIMITS = {
    "connections_per_ip": 0,
    "messages_per_minute_per_ip": 0,
    "messages_per_minute_per_session": 0,
    "proof_failures_per_ip": 0,
    "proof_failures_per_email": 0,
    "proof_failures_per_order": 0,
    "proof_failures_per_session": 0,
}

UNTHROTTLED = "1e9/1e9"  # a Shopify bucket no benchmark empties


def start_demo_server(
    workdir: Path,
    *,
    model_dir: str | None = None,
    latency: dict[str, float] | None = None,
    limits: bool = False,
    port: int | None = None,
    sqlite_wal: bool = False,
    shopify_bucket: str | None = None,
    **config: Any,
) -> ServerProcess:
    """The demo server in its own process, limits lifted unless ``limits``.

    Without sandbox knobs it is plain ``chatbot serve --config FILE``, the limits lifted by
    the file's ``limits:`` section; ``latency`` or ``shopify_bucket`` need ``bench.server``.

    ``shopify_bucket`` (``"SIZE/RATE"``) replaces the Shopify sandbox's Standard-plan bucket.

    ``sqlite_wal`` creates the default SQLite database in WAL mode first (the mode is stored
    in the file, so the server keeps it), to compare with the rollback journal.
    """
    port = port or free_port()
    if sqlite_wal and not config.get("database_url"):
        import sqlite3

        with contextlib.closing(sqlite3.connect(workdir / "chatbot.sqlite3")) as db:
            db.execute("PRAGMA journal_mode=WAL")
    if not limits:
        config.setdefault("limits", NO_LIMITS)
    path = demo_config(workdir, port, model_dir=model_dir, **config)
    if latency or shopify_bucket:  # sandbox knobs the config file has no key for
        cmd = [sys.executable, "-m", "bench.server", "--config", str(path)]
        if shopify_bucket:
            cmd += ["--shopify-bucket", shopify_bucket]
        for api, seconds in (latency or {}).items():
            cmd += ["--latency", f"{api}={seconds}"]
    else:  # exactly what an operator runs: ``chatbot serve --config FILE``
        cmd = [sys.executable, "-m", "chatserver", "serve", "--config", str(path)]
    return ServerProcess(cmd, f"http://127.0.0.1:{port}", workdir / f"server-{port}.log").start()


def start_echo_server(workdir: Path) -> ServerProcess:
    port = free_port()
    cmd = [sys.executable, "-m", "bench.echo_server", "--port", str(port)]
    return ServerProcess(cmd, f"http://127.0.0.1:{port}", workdir / f"echo-{port}.log").start()


@contextlib.contextmanager
def fresh_database(url: str | None) -> Iterator[str | None]:
    """For a ``postgresql+asyncpg://…/NAME`` URL: a new empty database NAME_<pid>, dropped
    afterwards (each run starts empty). Other URLs pass through unchanged."""
    if not url or not url.startswith("postgresql"):
        yield url
        return
    import asyncpg

    base, _, name = url.rpartition("/")
    fresh = f"{name or 'bench'}_{os.getpid()}"
    admin = base.replace("postgresql+asyncpg", "postgresql") + "/postgres"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'DROP DATABASE IF EXISTS "{fresh}"'))
    asyncio.run(run(f'CREATE DATABASE "{fresh}"'))
    try:
        yield f"{base}/{fresh}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'))
