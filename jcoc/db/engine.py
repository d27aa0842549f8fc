"""Async engine and session factory, and detection of the database flavour."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from jcoc.config import Settings
from jcoc.db import dialect

log = logging.getLogger(__name__)


def create_engine(settings: Settings) -> AsyncEngine:
    """An async engine for `settings.database_url` (creates the SQLite folder if needed)."""
    url = make_url(settings.database_url)
    kwargs: dict[str, object] = {"pool_pre_ping": True}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs = {"connect_args": {"timeout": 30}}
    else:
        # Pushes no longer hold a connection (API keys and codes are cached, the writer has
        # its own), so the pool serves reads and admin work. 20 kept open avoids opening and
        # closing overflow connections under bursts of reads; at most 30 per process.
        kwargs.update(pool_size=20, max_overflow=10, pool_timeout=10)
        kwargs["connect_args"] = {"connect_timeout": 5}
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    # WAL lets the wall read while ingest writes; foreign keys are off by default in SQLite.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def detect_flavor(engine: AsyncEngine) -> dialect.Flavor:
    """Find out whether this is SQLite, plain PostgreSQL or TimescaleDB and remember it."""
    if engine.dialect.name == "sqlite":
        flavor = dialect.Flavor.sqlite
    else:
        async with engine.connect() as conn:
            has = await conn.scalar(
                text("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'")
            )
        flavor = dialect.Flavor.timescale if has else dialect.Flavor.postgres
    dialect.set_flavor(engine, flavor)
    return flavor


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session in one transaction: commits on success, rolls back on error."""
    async with factory() as session, session.begin():
        yield session
