"""Shared setup of the ingest benchmarks: a private, migrated, seeded TimescaleDB."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from jcoc.config import Settings
from jcoc.db import migrate
from tests import services
from tests.conftest import make_settings
from tests.ingest.conftest import City, seed_city

COPY_SQL = (
    "COPY status_event (time, service_id, event_id, status, message, latency_ms, source, "
    "received_at) FROM STDIN (FORMAT BINARY)"
)
COPY_TYPES = ["timestamptz", "int4", "text", "text", "text", "float8", "text", "timestamptz"]


@dataclass
class Bench:
    server: services.PgServer
    settings: Settings
    city: City
    service_id: int

    def dsn(self) -> str:
        return self.server.psql_dsn("jcoc")


@contextlib.contextmanager
def timescale() -> Iterator[Bench]:
    """A private TimescaleDB with the schema and a seeded city (service `atcs`)."""
    if not services.timescaledb_installed():
        raise SystemExit("TimescaleDB is not installed (scripts/setup-services.sh)")
    with services.postgres(timescale=True) as server:
        with psycopg.connect(server.psql_dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE jcoc")
        settings = make_settings(
            database_url=server.url("jcoc"),
            timescale="on",
            data_dir=Path(tempfile.mkdtemp(prefix="jcoc-bench-")),
            rate_limit_per_minute=10_000_000,
        )
        migrate.upgrade(settings)
        city = asyncio.run(seed_city(settings))
        with psycopg.connect(server.psql_dsn("jcoc")) as conn:
            row = conn.execute("SELECT id FROM service WHERE code = 'atcs'").fetchone()
            assert row is not None
        yield Bench(server, settings, city, int(row[0]))


def rows(service_id: int, n: int, prefix: str) -> list[tuple[Any, ...]]:
    """`n` distinct status rows (same shape the writer copies)."""
    base = datetime.now(UTC)
    return [
        (base, service_id, f"{prefix}-{i}", "up", "bench", 12.5, "push", base) for i in range(n)
    ]


def raw_copy_rows_per_s(bench: Bench, n: int, chunk: int, prefix: str) -> float:
    """Baseline: psycopg binary COPY straight into the hypertable, one commit per chunk."""
    import time

    data = rows(bench.service_id, n, prefix)
    with psycopg.connect(bench.dsn()) as conn:
        start = time.perf_counter()
        for i in range(0, n, chunk):
            with conn.cursor() as cur, cur.copy(COPY_SQL) as copy:
                copy.set_types(COPY_TYPES)
                for r in data[i : i + chunk]:
                    copy.write_row(r)
            conn.commit()
        return n / (time.perf_counter() - start)


def row(benchmark: str, ours: float, baseline: float, unit: str, target: str) -> dict[str, Any]:
    return {
        "benchmark": benchmark,
        "ours": round(ours, 1),
        "baseline": round(baseline, 1),
        "unit": unit,
        "ratio": round(ours / baseline, 3) if baseline else None,
        "target": target,
    }
