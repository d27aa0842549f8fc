"""Group-commit writer vs raw psycopg binary COPY of the same rows into the same hypertable.

python -m bench.ingest_writer
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.ingest_setup import Bench, raw_copy_rows_per_s, row, timescale
from ingest.rows import StatusRow
from ingest.writer import Writer
from jcoc.db.base import utcnow
from jcoc.db.engine import create_engine, detect_flavor

ROWS = 60_000
REQUEST_ROWS = 100  # rows per write() call, like one 100-event push
CONCURRENCY = 32


async def writer_rows_per_s(bench: Bench, n: int, prefix: str) -> float:
    """Ours: `CONCURRENCY` tasks calling write() with `REQUEST_ROWS` rows each."""
    engine = create_engine(bench.settings)
    await detect_flavor(engine)
    writer = Writer(settings=bench.settings, engine=engine, bus=None)
    await writer.start()
    now = utcnow()
    chunks = [
        [
            StatusRow(
                bench.service_id, "atcs", "dishub", f"{prefix}-{i}-{j}", now, "up", "bench", 12.5
            )
            for j in range(REQUEST_ROWS)
        ]
        for i in range(n // REQUEST_ROWS)
    ]
    queue: asyncio.Queue[list[StatusRow]] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)

    async def worker() -> int:
        done = 0
        while not queue.empty():
            result = await writer.write(queue.get_nowait())
            done += result.accepted
        return done

    try:
        warm = StatusRow(bench.service_id, "atcs", "dishub", f"{prefix}-warm", now, "up")
        await writer.write([warm])  # connect outside the timing
        start = time.perf_counter()
        done = sum(await asyncio.gather(*(worker() for _ in range(CONCURRENCY))))
        elapsed = time.perf_counter() - start
    finally:
        await writer.stop()
        await engine.dispose()
    return (done + 1) / elapsed


def run() -> list[dict[str, Any]]:
    with timescale() as bench:
        # Warm both paths once, then measure them alternately.
        raw_copy_rows_per_s(bench, 5_000, 5_000, "warm-raw")
        asyncio.run(writer_rows_per_s(bench, 5_000, "warm-ours"))
        raw = raw_copy_rows_per_s(bench, ROWS, 5_000, "raw")
        ours = asyncio.run(writer_rows_per_s(bench, ROWS, "ours"))
    return [
        row(
            "ingest writer: rows/s, group commit (100-row writes × 32) vs raw binary COPY",
            ours,
            raw,
            "rows/s",
            ">= 0.6",
        )
    ]


if __name__ == "__main__":
    for r in run():
        print(r)
