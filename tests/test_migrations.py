"""`jcoc db upgrade` on TimescaleDB, plain PostgreSQL and SQLite."""

import os
import subprocess
import sys

import psycopg
import pytest

from jcoc.db.models import TIMESERIES_TABLES, Base
from tests.services import PgServer

pytestmark = pytest.mark.timescale


def _jcoc(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JCOC_")}
    return subprocess.run(
        [sys.executable, "-m", "jcoc.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _new_empty_db(server: PgServer, name: str) -> str:
    with psycopg.connect(server.psql_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return server.url(name)


def test_upgrade_makes_hypertables_on_timescaledb(pg_server: PgServer) -> None:
    url = _new_empty_db(pg_server, "mig_ts")
    result = _jcoc("db", "upgrade", JCOC_DATABASE_URL=url, JCOC_TIMESCALE="on")
    assert result.returncode == 0, result.stderr
    with psycopg.connect(pg_server.psql_dsn("mig_ts")) as conn:
        hypertables = {
            r[0]
            for r in conn.execute("SELECT hypertable_name FROM timescaledb_information.hypertables")
        }
        chunk = conn.execute(
            "SELECT time_interval FROM timescaledb_information.dimensions "
            "WHERE hypertable_name = 'status_event'"
        ).fetchone()
    assert hypertables == set(TIMESERIES_TABLES)
    assert chunk is not None and chunk[0].total_seconds() == 24 * 3600
    # Running it again is a no-op, not an error.
    again = _jcoc("db", "upgrade", JCOC_DATABASE_URL=url, JCOC_TIMESCALE="on")
    assert again.returncode == 0, again.stderr


def test_upgrade_on_plain_postgresql_has_no_hypertables(pg_server: PgServer) -> None:
    url = _new_empty_db(pg_server, "mig_plain")
    result = _jcoc("db", "upgrade", JCOC_DATABASE_URL=url, JCOC_TIMESCALE="off")
    assert result.returncode == 0, result.stderr
    with psycopg.connect(pg_server.psql_dsn("mig_plain")) as conn:
        ext = conn.execute(
            "SELECT count(*) FROM pg_extension WHERE extname='timescaledb'"
        ).fetchone()
        tables = {
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
    assert ext == (0,)
    assert set(Base.metadata.tables) <= tables


def test_upgrade_on_sqlite(tmp_path) -> None:
    db = tmp_path / "city.db"
    result = _jcoc("db", "upgrade", JCOC_DATABASE_URL=f"sqlite+aiosqlite:///{db}")
    assert result.returncode == 0, result.stderr
    import sqlite3

    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        sla = conn.execute("SELECT count(*) FROM sla_policy").fetchone()
    assert set(Base.metadata.tables) <= tables
    assert sla == (4,)


def test_timescale_on_without_extension_fails_clearly(tmp_path) -> None:
    result = _jcoc(
        "db",
        "upgrade",
        JCOC_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/x.db",
        JCOC_TIMESCALE="on",
    )
    assert result.returncode != 0
    assert "JCOC_TIMESCALE=on" in result.stderr
