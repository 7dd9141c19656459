"""The package as a shop owner installs it: the sdist and the wheel build from the repo,
the wheel installs in a fresh virtualenv, and there, away from the source tree,
`chatbot init` writes a shop's folder and `chatbot serve` serves the widget, the console
and a chat turn with the model in that folder. Everything the installed server reads
besides code is package data: templates, the policy, the widget and console (with the
vendored Socket.IO client), the training data, the email pattern tables, the demo
help-center articles and the pruned Shopify schemas.

One test, slow by nature (a build and an install; pip's cache keeps it to a minute or two).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import venv
from pathlib import Path

import aiohttp
import pytest
import socketio

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
WAIT = 180.0  # a safety net for a hung step, never an assertion about speed
# What the installed package must carry, relative to site-packages, at least this many each.
PACKAGE_DATA = {
    "chatserver/templates": ("**/*.j2", 60),
    "chatserver/static": ("**/*.*", 9),
    "chatserver/static/vendor": ("socket.io.min.js", 1),
    "chatserver": ("policy.yml", 1),
    "nlu/data/train": ("*.yml", 18),
    "nlu/data/acts": ("*.yml", 10),
    "nlu/cleaning": ("patterns.yaml", 1),
    "integrations/sandbox/helpcenter_articles": ("*.md", 30),
    "integrations/sandbox/shopify_schemas": ("*.graphql", 4),
    "integrations/shopify_theme": ("chat-widget.liquid", 1),
}


def _run(*args: str | Path, cwd: Path, timeout: float = WAIT, both: bool = False) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout + done.stderr if both else done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel built from the sdist installed; its bin/."""
    if not (ROOT / "static" / "vendor" / "socket.io.min.js").is_file():
        pytest.fail("no vendored Socket.IO client: run scripts/vendor-js.sh (make setup does)")
    work = tmp_path_factory.mktemp("package")
    dist = work / "dist"
    _run(
        sys.executable, "-m", "build", "--outdir", dist, ROOT, cwd=work
    )  # sdist, then wheel from it
    (sdist,) = dist.glob("chatbot-*.tar.gz")
    (wheel,) = dist.glob("chatbot-*.whl")
    listing = _run(sys.executable, "-m", "tarfile", "-l", sdist, cwd=work)
    for needed in ("deploy/chatbot.service", "docs/going-live.md", "static/vendor/"):
        assert needed in listing, f"the sdist lacks {needed}"
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    _run(env_dir / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=work, timeout=900)
    return env_dir / "bin"


def test_the_installed_package_inits_and_serves_a_shop(installed, tmp_path, model_dir):
    site = Path(
        _run(installed / "python", "-c", "import chatserver, pathlib; "
             "print(pathlib.Path(chatserver.__file__).parent.parent)", cwd=tmp_path).strip()
    )  # fmt: skip
    assert ROOT not in site.parents, "imported the source tree, not the installed package"
    for folder, (pattern, least) in PACKAGE_DATA.items():
        found = list((site / folder).glob(pattern))
        assert len(found) >= least, f"{folder}/{pattern}: {len(found)} installed"
    examples = _run(
        installed / "python", "-c",
        "from nlu.dataset import DEFAULT_TRAIN_DIR, load_examples; "
        "print(len(load_examples(DEFAULT_TRAIN_DIR)))", cwd=tmp_path,
    )  # fmt: skip
    assert int(examples) > 1000  # `chatbot train` has its data

    out = _run(installed / "chatbot", "init", "shop", cwd=tmp_path)
    shop = tmp_path / "shop"
    assert "Console sign-in: admin / " in out
    assert {p.name for p in shop.iterdir()} >= {"config.yml", "policy.yml", "templates", "var"}
    # the model `chatbot train --config shop/config.yml` would make (trained once per run)
    shutil.copytree(model_dir, shop / "var" / "models", dirs_exist_ok=True)

    asyncio.run(_serve_and_chat(installed, shop))


async def _serve_and_chat(installed: Path, shop: Path) -> None:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        str(installed / "chatbot"), "serve", "--config", str(shop / "config.yml"),
        "--port", str(port),
        cwd=shop, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    log: list[str] = []
    try:
        assert proc.stdout is not None
        while True:
            line = (await asyncio.wait_for(proc.stdout.readline(), WAIT)).decode()
            assert line, "the server exited:\n" + "".join(log)
            log.append(line)
            if "serving on" in line:
                break
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            for path in ("/", "/static/widget.js", "/static/vendor/socket.io.min.js",
                         "/static/agent/console.js", "/agent/login"):  # fmt: skip
                async with http.get(url + path) as resp:
                    assert resp.status == 200, path
            async with http.get(url + "/readyz") as resp:
                ready = await resp.json()
        assert ready["status"] == "ready" and ready["model_version"] not in (None, "", "none")
        said = await _chat(url, "where is my order #1001 maria@example.com")
        assert "#1001" in said and "USPS" in said, said
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            rest = await asyncio.wait_for(proc.stdout.read(), WAIT)  # type: ignore[union-attr]
            log.append(rest.decode())
            assert await proc.wait() == 0, "".join(log)
    assert "stopped" in "".join(log)


async def _chat(url: str, text: str) -> str:
    sio = socketio.AsyncClient(reconnection=False)
    events: asyncio.Queue[tuple[str, object]] = asyncio.Queue()

    async def record(event: str, data: object = None) -> None:
        await events.put((event, data))

    sio.on("*", record)
    await sio.connect(url, transports=["websocket"], wait_timeout=30)
    try:
        # this server's own protocol (events like bot_typing), as the widget asks for it
        await sio.emit("session_request", {"session_id": None, "protocol": "chatbot/1"})
        while (event := await asyncio.wait_for(events.get(), 30))[0] != "session_confirm":
            pass
        await sio.emit("user_uttered", {"message": text, "session_id": event[1]})
        said = []
        while True:
            name, data = await asyncio.wait_for(events.get(), 60)
            if name == "bot_uttered":
                said.append(data["text"])  # type: ignore[index]
            if name == "bot_typing" and data == {"typing": False}:
                return "\n".join(said)
    finally:
        await sio.disconnect()
