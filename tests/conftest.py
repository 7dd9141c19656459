"""Shared fixtures: the app is built by the same factory the server uses.

Storage-touching tests take ``database_url``, which runs them once on SQLite and once on
PostgreSQL. The PostgreSQL run gets a throwaway database for the whole test session
(``chatbot_test_<random>``, dropped at the end) and an empty schema for every test.
PostgreSQL is expected to answer (``scripts/test-services.sh`` starts it): when it does
not, those tests FAIL. To run SQLite only on a machine without it, set
``CHATBOT_TEST_BACKENDS=sqlite`` (or ``--backends sqlite``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from chatserver.settings import Settings, load_settings

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chatbot storage")
    group.addoption(
        "--postgres-url",
        default=os.environ.get("CHATBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="a PostgreSQL server URL whose user may create databases "
        "(env CHATBOT_TEST_POSTGRES_URL)",
    )
    group.addoption(
        "--backends",
        default=os.environ.get("CHATBOT_TEST_BACKENDS", "sqlite,postgresql"),
        help="comma-separated storage backends for `database_url` tests "
        "(env CHATBOT_TEST_BACKENDS; default sqlite,postgresql)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames:
        backends = [b.strip() for b in metafunc.config.getoption("backends").split(",")]
        metafunc.parametrize("backend", [b for b in backends if b], indirect=False)


def run_sync(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to completion on its own loop in a thread (outside the test's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _admin(url: sa.URL, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database=url.database or "postgres",
        timeout=5,
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session (dropped afterwards)."""
    server = sa.make_url(request.config.getoption("postgres_url"))
    name = f"chatbot_test_{secrets.token_hex(4)}"
    try:
        run_sync(_admin(server, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any reason at all: the PostgreSQL runs cannot happen
        pytest.fail(
            f"PostgreSQL is not reachable at {server.render_as_string(hide_password=True)} "
            f"({type(exc).__name__}: {exc}); start it with scripts/test-services.sh, or set "
            "CHATBOT_TEST_BACKENDS=sqlite to run without it",
            pytrace=False,
        )
    url = server.set(database=name)
    yield url.render_as_string(hide_password=False)
    run_sync(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def reset_postgres(url: str) -> None:
    """An empty ``public`` schema; connections left behind by a test are cut first."""
    parsed = sa.make_url(url)
    run_sync(
        _admin(
            parsed,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()",
            "DROP SCHEMA public CASCADE",
            "CREATE SCHEMA public",
        )
    )


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: str, tmp_path) -> str:
    """A fresh, empty database on ``backend`` (sqlite or postgresql), as a SQLAlchemy URL."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/chatbot.sqlite3"
    if backend == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        reset_postgres(url)
        return url
    raise pytest.UsageError(f"unknown storage backend {backend!r}")


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    return load_settings(data_dir=tmp_path, database_url=database_url)


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    """A fresh, empty PostgreSQL database, for tests of what only PostgreSQL does."""
    reset_postgres(postgres_url)
    return postgres_url


@pytest.fixture
def redis_url() -> str:
    """The Redis the suite runs against (``scripts/test-services.sh`` starts it)."""
    return os.environ.get("CHATBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory):
    """The installed intent model, or one trained once per test session (about 10 s)."""
    from chatserver.settings import PROJECT_ROOT
    from nlu.engine import DEFAULT_MODEL_DIR, NLU

    try:
        NLU.load(DEFAULT_MODEL_DIR)
        return DEFAULT_MODEL_DIR
    except Exception:  # nothing installed (or unusable): train on the project's data
        from nlu.dataset import load_examples
        from nlu.train import fit, save_trained

        directory = tmp_path_factory.mktemp("models")
        trained = fit(load_examples(PROJECT_ROOT / "nlu" / "data" / "train"), folds=1)
        save_trained(trained, directory)
        return directory


@pytest.fixture(scope="session")
def installed_nlu():
    """The trained intent model installed on this machine (make test trains one), loaded
    once for every test that reads messages with it; skipped where none is installed."""
    engine = pytest.importorskip("nlu.engine")
    try:
        return engine.NLU.load()
    except Exception as exc:  # no model trained on this machine
        pytest.skip(f"no intent model installed: {exc}")
