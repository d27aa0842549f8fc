"""Fixtures: private TimescaleDB and Redis for the session, fresh databases per test.

Database tests take the `settings` fixture and run on SQLite and on TimescaleDB. With
CI=true a missing TimescaleDB or Redis fails the run; locally it skips those tests.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from jcoc.config import Settings
from jcoc.db import migrate
from jcoc.db.engine import create_engine, detect_flavor, session_factory
from tests import services
from tests.live import LiveServer

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEMPLATE_DB = "jcoc_template"
_db_counter = itertools.count()


def unavailable(what: str) -> None:
    """Skip locally, fail in CI: a missing real service never passes silently there."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI (run scripts/setup-services.sh)", pytrace=False)
    pytest.skip(f"{what} not available here (run scripts/setup-services.sh)")


def make_settings(**overrides: Any) -> Settings:
    """Settings for tests: explicit, independent of the caller's environment."""
    base: dict[str, Any] = {"env": "test", "secret_key": "test-secret-key-0123456789"}
    base.update(overrides)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[services.PgServer]:
    if not services.timescaledb_installed():
        unavailable("TimescaleDB")
    with services.postgres(timescale=True) as server:
        with psycopg.connect(server.psql_dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE_DB}")
        migrate.upgrade(make_settings(database_url=server.url(TEMPLATE_DB), timescale="on"))
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[services.RedisServer]:
    try:
        with services.redis() as server:
            yield server
    except RuntimeError as exc:
        unavailable(str(exc))


def new_pg_database(server: services.PgServer) -> str:
    """A fresh, migrated database copied from the session's template."""
    name = f"jcoc_test_{os.getpid()}_{next(_db_counter)}"
    with psycopg.connect(server.psql_dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
    return name


def sqlite_settings_for(path: Path, **overrides: Any) -> Settings:
    settings = make_settings(
        database_url=f"sqlite+aiosqlite:///{path}", data_dir=path.parent, **overrides
    )
    migrate.upgrade(settings)
    return settings


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return sqlite_settings_for(tmp_path / "jcoc.db")


@pytest.fixture
def ts_settings(pg_server: services.PgServer, tmp_path: Path) -> Settings:
    return make_settings(
        database_url=pg_server.url(new_pg_database(pg_server)), timescale="on", data_dir=tmp_path
    )


@pytest.fixture(params=["sqlite", pytest.param("timescale", marks=pytest.mark.timescale)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """A migrated, empty database: SQLite and TimescaleDB."""
    if request.param == "sqlite":
        return sqlite_settings_for(tmp_path / "jcoc.db")
    server = request.getfixturevalue("pg_server")
    return make_settings(
        database_url=server.url(new_pg_database(server)), timescale="on", data_dir=tmp_path
    )


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(settings)
    await detect_flavor(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
async def db_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with session_factory(engine)() as session:
        yield session


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The whole API served over real HTTP on a free port."""
    from jcoc.app import create_app

    with LiveServer(lambda: create_app(settings)) as server:
        yield server


def run(coro: Any) -> Any:
    """Run a coroutine from sync test code."""
    return asyncio.run(coro)
