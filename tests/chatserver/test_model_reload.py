"""Hot reload: a promoted model is picked up by the running server, mid-conversation."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from chatserver.app import create_app
from chatserver.keys import LIMITS
from chatserver.ops.limits import ChatLimits
from chatserver.ops.model_reload import ModelWatcher
from chatserver.service import ModelHolder
from chatserver.settings import load_settings
from nlu import promotion, registry
from tests.chatserver.live import WAIT, Customer, always_open_policy, free_port


def clone(models: Path, source: Path, version: str) -> str:
    """Copy a version directory under another version name."""
    shutil.copytree(source, models / version)
    meta = json.loads((models / version / "meta.json").read_text())
    meta["version"] = version
    (models / version / "meta.json").write_text(json.dumps(meta))
    return version


@pytest.fixture
def models(model_dir: Path, tmp_path: Path) -> Path:
    """A registry with two working versions, v-a CURRENT, and a broken one."""
    target = tmp_path / "models"
    target.mkdir()
    source = model_dir / registry.current_version(model_dir)
    for version in ("v-a", "v-b", "v-broken"):
        clone(target, source, version)
    (target / "v-broken" / registry.MODEL_FILE).write_bytes(b"not a model")
    promotion.promote(target, "v-a")
    return target


# --- the watcher alone ---------------------------------------------------------------


class Stub:
    intents = ("greeting",)

    def __init__(self, version: str) -> None:
        self.version = version


async def test_the_watcher_swaps_on_a_new_current_and_keeps_the_old_on_failure(
    tmp_path: Path, caplog
) -> None:
    for version in ("v-a", "v-b", "v-broken"):
        (tmp_path / version).mkdir()
        (tmp_path / version / registry.META_FILE).write_text("{}")
    loads: list[str] = []

    def load(version_dir: Path) -> Stub:
        loads.append(version_dir.name)
        if version_dir.name == "v-broken":
            raise ValueError("corrupt")
        return Stub(version_dir.name)

    registry.set_current(tmp_path, "v-a")
    serving = ModelHolder(Stub("v-a"))
    watcher = ModelWatcher(serving, tmp_path, load)
    assert not await watcher.check()  # already serving v-a
    registry.set_current(tmp_path, "v-b")
    assert await watcher.check()
    assert serving.version == "v-b"
    assert not await watcher.check()  # nothing changed since

    registry.set_current(tmp_path, "v-broken")
    with caplog.at_level(logging.ERROR, logger="chatserver.ops.model_reload"):
        assert not await watcher.check()
        assert not await watcher.check()  # the same CURRENT is not retried
    assert serving.version == "v-b"
    assert "v-broken" in caplog.text and "still serving v-b" in caplog.text
    assert loads == ["v-b", "v-broken"]

    (tmp_path / "CURRENT").unlink()  # a registry emptied by hand: keep serving
    assert not await watcher.check()
    assert serving.version == "v-b"


# --- the real server under live chat -------------------------------------------------


async def start(aiohttp_server: Any, tmp_path: Path, models: Path) -> Any:
    port = free_port()
    settings = load_settings(
        port=port,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/chat.db",
        data_dir=tmp_path,
        policy_path=always_open_policy(tmp_path),
        model_dir=models,
        model_reload_seconds=0.05,
    )
    app = create_app(settings)
    # Turns take a few ms: three customers talking until the switch pass 20 a minute.
    app[LIMITS] = ChatLimits(
        messages_per_minute_per_session=10_000, messages_per_minute_per_ip=10_000
    )
    return await aiohttp_server(app, port=port)


async def ready_version(http: aiohttp.ClientSession, server: Any) -> str:
    async with http.get(server.make_url("/readyz")) as resp:
        return str((await resp.json())["model_version"])


class Logged(logging.Handler):
    """An event set when the model watcher logs ``words`` (the watcher's own news)."""

    def __init__(self, words: str) -> None:
        super().__init__(logging.INFO)
        self.words = words
        self.event = asyncio.Event()
        self.logger = logging.getLogger("chatserver.ops.model_reload")

    def emit(self, record: logging.LogRecord) -> None:
        if self.words in record.getMessage():
            self.event.set()

    async def wait(self) -> None:
        await asyncio.wait_for(self.event.wait(), WAIT * 4)

    def __enter__(self) -> Logged:
        self.level, self.logger.level = self.logger.level, logging.INFO
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level)


async def test_a_promoted_model_is_picked_up_without_losing_a_turn(
    aiohttp_server: Any, tmp_path: Path, models: Path
) -> None:
    server = await start(aiohttp_server, tmp_path, models)
    url = str(server.make_url("/"))
    customers = [Customer(url) for _ in range(3)]
    switched, warmed_up = asyncio.Event(), asyncio.Event()
    answered: list[tuple[int, int, int]] = []  # (customer, turn, replies)

    async def chat(n: int, customer: Customer) -> None:
        await customer.open()
        texts = ("hi", "where is my order #1001?", "thanks", "I want to return my shoes")
        turn, after = 0, 0
        while after < 4:  # keep talking until a few turns after the switch
            replies = await customer.turn(texts[turn % len(texts)])
            answered.append((n, turn, len(replies)))
            if len(answered) >= 6:
                warmed_up.set()
            turn += 1
            after += switched.is_set()

    async with aiohttp.ClientSession() as http:
        try:
            assert await ready_version(http, server) == "v-a"
            talking = [asyncio.create_task(chat(n, c)) for n, c in enumerate(customers)]
            await asyncio.wait_for(warmed_up.wait(), WAIT * 4)
            with Logged("model reloaded: v-a -> v-b") as reloaded:
                promotion.promote(models, "v-b")
                await reloaded.wait()
            assert await ready_version(http, server) == "v-b"
            switched.set()
            await asyncio.wait_for(asyncio.gather(*talking), WAIT * 4)
        finally:
            for customer in customers:
                await customer.aclose()

    turns = {(n, t) for n, t, _ in answered}
    assert len(turns) == len(answered)  # no turn answered twice
    assert all(replies > 0 for _, _, replies in answered)  # every turn got its reply
    logged = await _logged_versions(server)
    assert len(logged) == len(answered)  # every turn classified and logged with its model
    assert {v for _, v in logged} == {"v-a", "v-b"}
    for session in {s for s, _ in logged}:
        versions = [v for s, v in logged if s == session]
        # Each conversation went on: v-a turns, then v-b turns, never back.
        assert versions == sorted(versions) and versions[-1] == "v-b"


async def test_a_broken_model_is_not_loaded_and_the_old_one_keeps_answering(
    aiohttp_server: Any, tmp_path: Path, models: Path, caplog
) -> None:
    server = await start(aiohttp_server, tmp_path, models)
    customer = Customer(str(server.make_url("/")))
    async with aiohttp.ClientSession() as http:
        try:
            await customer.open()
            assert await customer.turn("hi")
            with Logged("could not be loaded") as refused:
                registry.set_current(models, "v-broken")
                await refused.wait()
            assert "still serving v-a" in caplog.text
            assert await ready_version(http, server) == "v-a"
            assert await customer.turn("where is my order #1001?")
        finally:
            await customer.aclose()
    assert {v for _, v in await _logged_versions(server)} == {"v-a"}


async def _logged_versions(server: Any) -> list[tuple[str, str]]:
    """(session, model version) of the prediction log, in message order."""
    from chatserver.keys import STORAGE

    storage = server.app[STORAGE]
    logged = []
    for session in await storage.list_sessions():
        for message in await storage.messages_since(session.id):
            prediction = await storage.predictions.get(message.id)
            if prediction is not None and prediction.classified:
                logged.append((message.id, prediction.session_id, prediction.model_version))
    return [(session_id, version) for _, session_id, version in sorted(logged)]
