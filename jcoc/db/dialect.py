"""Every difference between TimescaleDB, plain PostgreSQL and SQLite lives here.

Callers build queries with these helpers and never look at the dialect themselves:
- `time_bucket()`  -> `time_bucket()` on TimescaleDB, `date_bin()` on PostgreSQL, epoch
  arithmetic on SQLite; always returns an aware UTC datetime column.
- `insert_ignore()` -> INSERT … ON CONFLICT DO NOTHING for idempotent writes.
- `make_hypertable()` / `drop_older_than()` -> hypertables and retention where available.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from jcoc.db.base import UTCDateTime

# Monday 2000-01-03 UTC: TimescaleDB's default origin, used everywhere so buckets agree.
DEFAULT_ORIGIN = datetime(2000, 1, 3, tzinfo=UTC)


class Flavor(StrEnum):
    sqlite = "sqlite"
    postgres = "postgres"
    timescale = "timescale"


_FLAVOR_ATTR = "_jcoc_flavor"


def set_flavor(engine: AsyncEngine, flavor: Flavor) -> None:
    """Remember the detected flavour on the engine's dialect (used when compiling)."""
    setattr(engine.sync_engine.dialect, _FLAVOR_ATTR, flavor)


def get_flavor(dialect: Dialect) -> Flavor:
    """The flavour of a dialect; PostgreSQL without detection is treated as plain."""
    if dialect.name == "sqlite":
        return Flavor.sqlite
    return getattr(dialect, _FLAVOR_ATTR, Flavor.postgres)


class _TimeBucket(FunctionElement[datetime]):
    type = UTCDateTime()
    inherit_cache = False
    name = "jcoc_time_bucket"

    def __init__(self, width: timedelta, column: Any, origin: datetime) -> None:
        self.width = width
        self.origin = origin
        super().__init__(column)


def _seconds(width: timedelta) -> int:
    secs = int(width.total_seconds())
    if secs <= 0 or secs != width.total_seconds():
        raise ValueError(f"bucket width must be a whole positive number of seconds, got {width}")
    return secs


@compiles(_TimeBucket, "postgresql")
def _bucket_pg(element: _TimeBucket, compiler: Any, **kw: Any) -> str:
    col = compiler.process(next(iter(element.clauses)), **kw)
    # Literals, not bind parameters: the same expression in SELECT and GROUP BY must be
    # textually identical for PostgreSQL to accept it.
    interval = f"INTERVAL '{_seconds(element.width)} seconds'"
    origin = f"TIMESTAMPTZ '{element.origin.astimezone(UTC).isoformat()}'"
    if get_flavor(compiler.dialect) == Flavor.timescale:
        return f"time_bucket({interval}, {col}, {origin})"
    return f"date_bin({interval}, {col}, {origin})"


@compiles(_TimeBucket, "sqlite")
def _bucket_sqlite(element: _TimeBucket, compiler: Any, **kw: Any) -> str:
    col = compiler.process(next(iter(element.clauses)), **kw)
    secs = _seconds(element.width)
    origin = int(element.origin.timestamp())
    epoch = f"CAST(strftime('%s', {col}) AS INTEGER)"
    return f"datetime((({epoch} - {origin}) / {secs}) * {secs} + {origin}, 'unixepoch')"


def time_bucket(
    width: timedelta, column: Any, origin: datetime = DEFAULT_ORIGIN
) -> ColumnElement[datetime]:
    """Start of the `width`-long bucket containing `column`, aligned on `origin`."""
    return _TimeBucket(width, column, origin)  # type: ignore[return-value]


def insert_ignore(dialect_name: str, table: Table) -> Any:
    """An INSERT that silently skips rows violating a unique key (idempotent retries)."""
    if dialect_name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    return pg.insert(table).on_conflict_do_nothing()


def make_hypertable(conn: Connection, table: str, time_column: str, chunk: timedelta) -> bool:
    """Turn `table` into a hypertable when TimescaleDB is installed; False otherwise."""
    if conn.dialect.name != "postgresql" or not has_timescale(conn):
        return False
    conn.execute(
        text(
            "SELECT create_hypertable(CAST(:t AS regclass), by_range(CAST(:c AS name), "
            "CAST(:i AS interval)), if_not_exists => TRUE)"
        ),
        {"t": table, "c": time_column, "i": f"{_seconds(chunk)} seconds"},
    )
    return True


def has_timescale(conn: Connection) -> bool:
    """Whether the timescaledb extension is created in this database."""
    if conn.dialect.name != "postgresql":
        return False
    return bool(conn.scalar(text("SELECT count(*) FROM pg_extension WHERE extname='timescaledb'")))


def is_hypertable(conn: Connection, table: str) -> bool:
    """Whether `table` is a hypertable (the extension may exist while a table is plain)."""
    if not has_timescale(conn):
        return False
    return bool(
        conn.scalar(
            text(
                "SELECT count(*) FROM timescaledb_information.hypertables"
                " WHERE hypertable_name = :t"
            ),
            {"t": table},
        )
    )


def timescale_available(conn: Connection) -> bool:
    """Whether the timescaledb extension could be created in this database."""
    if conn.dialect.name != "postgresql":
        return False
    return bool(
        conn.scalar(text("SELECT count(*) FROM pg_available_extensions WHERE name='timescaledb'"))
    )


def drop_older_than(conn: Connection, table: str, time_column: str, cutoff: datetime) -> None:
    """Retention: drop whole chunks of a hypertable, delete rows of any other table."""
    if is_hypertable(conn, table):
        conn.execute(
            text("SELECT drop_chunks(CAST(:t AS regclass), older_than => CAST(:c AS timestamptz))"),
            {"t": table, "c": cutoff},
        )
        return
    if conn.dialect.name == "sqlite":
        cutoff_param: Any = cutoff.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    else:
        cutoff_param = cutoff
    # Table and column names come from our own model definitions, never from input.
    conn.execute(text(f"DELETE FROM {table} WHERE {time_column} < :c"), {"c": cutoff_param})  # noqa: S608


def supports_copy(dialect_name: str) -> bool:
    """Whether bulk writes can use COPY (PostgreSQL through psycopg 3)."""
    return dialect_name == "postgresql"


def upgrade_timeseries(
    conn: Connection, *, tables: dict[str, str], mode: str, chunk: timedelta
) -> list[str]:
    """Create the extension (per `mode`) and make `tables` hypertables; returns those made.

    mode "auto": use TimescaleDB when it can be created here; "on": fail without it;
    "off": plain tables. On SQLite this does nothing.
    """
    if conn.dialect.name != "postgresql" or mode == "off":
        if mode == "on":
            raise RuntimeError("JCOC_TIMESCALE=on but the database is not PostgreSQL")
        return []
    if not has_timescale(conn):
        if not timescale_available(conn):
            if mode == "on":
                raise RuntimeError(
                    "JCOC_TIMESCALE=on but the timescaledb extension is not installed on the "
                    "server (see docs/deploy-timescaledb.md)"
                )
            return []
        try:
            with conn.begin_nested():
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
        except Exception as exc:
            if mode == "on":
                raise RuntimeError(
                    "could not create the timescaledb extension (is it in "
                    f"shared_preload_libraries, and is the migration user allowed?): {exc}"
                ) from exc
            return []
    made = []
    for table, time_column in tables.items():
        if make_hypertable(conn, table, time_column, chunk):
            made.append(table)
    return made
