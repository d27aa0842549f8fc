"""Time bucketing and idempotent inserts agree on SQLite, PostgreSQL and TimescaleDB."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select, text

from jcoc.db import dialect, migrate
from jcoc.db.engine import create_engine, detect_flavor, session_factory
from jcoc.db.retention import prune
from jcoc.opd.models import Agency, Service
from jcoc.status.models import StatusEvent
from tests.conftest import make_settings, sqlite_settings_for

T0 = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
TIMES = [
    T0 + timedelta(minutes=m, seconds=s)
    for m, s in [(0, 1), (3, 0), (4, 59), (5, 0), (12, 30), (59, 59)]
]


@pytest.fixture(params=["sqlite", "postgres", "timescale"])
def flavored_settings(request, tmp_path: Path):
    if request.param == "sqlite":
        return sqlite_settings_for(tmp_path / "d.db")
    server = request.getfixturevalue("pg_server")
    name = f"dialect_{request.param}_{request.node.callspec.id}".replace("-", "_")
    with psycopg.connect(server.psql_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    mode = "on" if request.param == "timescale" else "off"
    settings = make_settings(database_url=server.url(name), timescale=mode)
    migrate.upgrade(settings)
    return settings


async def test_time_bucket_same_on_every_flavor(flavored_settings, request) -> None:
    engine = create_engine(flavored_settings)
    flavor = await detect_flavor(engine)
    assert flavor.value == request.node.callspec.params["flavored_settings"]
    try:
        async with session_factory(engine)() as s:
            agency = Agency(code="dishub", name="Dinas Perhubungan")
            s.add(agency)
            await s.flush()
            svc = Service(agency_id=agency.id, code="atcs", name="ATCS")
            s.add(svc)
            await s.flush()
            for i, t in enumerate(TIMES):
                s.add(
                    StatusEvent(
                        time=t, service_id=svc.id, event_id=f"e{i}", status="up", received_at=t
                    )
                )
            await s.commit()

            bucket = dialect.time_bucket(timedelta(minutes=5), StatusEvent.time).label("b")
            rows = (
                await s.execute(select(bucket, func.count()).group_by(bucket).order_by(bucket))
            ).all()
            # Aligned on WIB midnight (UTC+7) instead of the default origin.
            wib = dialect.time_bucket(
                timedelta(hours=1), StatusEvent.time, origin=datetime(2000, 1, 1, 17, tzinfo=UTC)
            ).label("h")
            hourly = (await s.execute(select(wib, func.count()).group_by(wib))).all()
    finally:
        await engine.dispose()
    assert [(b, n) for b, n in rows] == [
        (T0, 3),
        (T0 + timedelta(minutes=5), 1),
        (T0 + timedelta(minutes=10), 1),
        (T0 + timedelta(minutes=55), 1),
    ]
    assert all(b.tzinfo is not None for b, _ in rows)
    assert hourly == [(T0, 6)]


async def test_insert_ignore_skips_duplicates(settings) -> None:
    engine = create_engine(settings)
    await detect_flavor(engine)
    try:
        async with session_factory(engine)() as s:
            agency = Agency(code="bpbd", name="BPBD")
            s.add(agency)
            await s.flush()
            svc = Service(agency_id=agency.id, code="ews", name="Early warning")
            s.add(svc)
            await s.commit()
            row = {
                "time": T0,
                "service_id": svc.id,
                "event_id": "x",
                "status": "down",
                "message": "",
                "source": "push",
                "received_at": T0,
            }
            stmt = dialect.insert_ignore(engine.dialect.name, StatusEvent.__table__).returning(
                StatusEvent.event_id
            )
            first = (await s.execute(stmt.values(**row))).all()
            second = (await s.execute(stmt.values(**row))).all()
            await s.commit()
            count = await s.scalar(select(func.count()).select_from(StatusEvent))
    finally:
        await engine.dispose()
    assert first == [("x",)]
    assert second == []
    assert count == 1


async def test_retention_on_plain_tables_in_a_timescale_database(pg_server) -> None:
    """JCOC_TIMESCALE=off on a server whose database already has the extension."""
    name = "dialect_plain_with_ext"
    with psycopg.connect(pg_server.psql_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(pg_server.psql_dsn(name), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION timescaledb")
    settings = make_settings(database_url=pg_server.url(name), timescale="off")
    await asyncio.to_thread(migrate.upgrade, settings)
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO agency (code, name, created_at) VALUES ('dlh', 'DLH', now());"
                    "INSERT INTO service (agency_id, code, name, description, expected_interval_s,"
                    " grace_s, probe_kind, probe_target, probe_interval_s, probe_timeout_s,"
                    " probe_retries, probe_expect_status, probe_keyword, created_at)"
                    " VALUES (1, 'sampah', 'Sampah', '', 300, 300, 'none', '', 60, 10, 2, 200,"
                    " '', now())"
                )
            )
            for i, t in enumerate((T0 - timedelta(days=400), T0)):
                await conn.execute(
                    text(
                        "INSERT INTO status_event (time, service_id, event_id, status, message,"
                        " source, received_at) VALUES (:t, 1, :e, 'up', '', 'push', :t)"
                    ),
                    {"t": t, "e": f"e{i}"},
                )
            assert not await conn.run_sync(lambda c: dialect.is_hypertable(c, "status_event"))
        # Through the retention job itself, which must not take the table for a hypertable.
        await prune(engine, now=T0, retention=timedelta(days=90))
        async with engine.connect() as conn:
            left = await conn.scalar(text("SELECT count(*) FROM status_event"))
    finally:
        await engine.dispose()
    assert left == 1
