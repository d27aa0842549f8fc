"""Health analytics on real decoded video: each fault clip is detected, a busy clip is not."""

from __future__ import annotations

import asyncio
import random
import subprocess
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ingest.cameras.detector import DetectorConfig
from ingest.cameras.manager import CameraManager, ManagerConfig
from jcoc.bus import Bus
from jcoc.camera import service
from jcoc.camera.models import CameraMetric
from jcoc.config import Settings
from jcoc.db.engine import create_engine, detect_flavor, session_factory
from tests.cameras.media import FAULT_AT

FAST = ManagerConfig(
    detector=DetectorConfig(persist_samples=3, baseline_samples=8),
    offline_after_s=3.0,
    metric_interval_s=1.0,
    heartbeat_s=1.0,
    tick_s=0.1,
)


async def _run_cameras(
    settings: Settings, cameras: dict[str, str], until: Any, timeout: float, **fields: Any
) -> tuple[CameraManager, list[dict[str, Any]], Any]:
    """Register cameras, run a manager until `until(events)` or the deadline; return events."""
    engine = create_engine(settings)
    await detect_flavor(engine)
    sessions = session_factory(engine)
    async with sessions() as s:
        for code, url in cameras.items():
            await service.create_camera(
                db_session=s,
                code=code,
                url=url,
                name=code,
                expected_fps=10.0,
                sample_fps=fields.get("sample_fps", 5.0),
            )
        await s.commit()
    bus = Bus()
    manager = CameraManager(sessions=sessions, bus=bus, config=FAST)
    events: list[dict[str, Any]] = []
    async with bus.subscribe("camera") as sub:
        await manager.start()
        try:
            deadline = time.monotonic() + timeout
            while not until(events) and time.monotonic() < deadline:
                try:
                    events.append((await asyncio.wait_for(sub.get(), 0.5)).message)
                except TimeoutError:
                    pass
        finally:
            await manager.stop()
    return manager, events, (engine, sessions)


def _healths(events: list[dict[str, Any]], code: str) -> list[str]:
    return [e["health"] for e in events if e["camera"] == code]


async def test_each_fault_clip_is_detected_and_a_busy_clip_raises_none(
    sqlite_settings: Settings, clips: Any
) -> None:
    expected = {
        "frozen": "frozen",
        "black": "black",
        "blurred": "blurred",
        "covered": "covered",
        "moved": "moved",
    }
    cameras = {f"clip-{k}": f"file://{clips(k)}" for k in [*expected, "normal"]}
    started = time.monotonic()

    def done(events: list[dict[str, Any]]) -> bool:
        seen = all(v in _healths(events, f"clip-{k}") for k, v in expected.items())
        return seen and time.monotonic() - started > FAULT_AT + 4

    _, events, (engine, sessions) = await _run_cameras(sqlite_settings, cameras, done, 30)
    try:
        for kind, health in expected.items():
            got = _healths(events, f"clip-{kind}")
            assert health in got, f"{kind}: {got}"
            # Normal before the fault: the fault is a change, announced as such.
            assert got[0] == "ok", f"{kind}: {got}"
            assert any(
                e["changed"] and e["health"] == health
                for e in events
                if e["camera"] == f"clip-{kind}"
            )
        normal = _healths(events, "clip-normal")
        assert normal and set(normal) == {"ok"}, normal
        event = next(e for e in events if e["camera"] == "clip-normal")
        assert event["online"] is True
        assert event["fps"] is None or event["fps"] >= 0
        assert {"brightness", "sharpness", "motion", "displacement", "time"} <= set(event)
        async with sessions() as s:
            rows = await s.scalar(select(func.count()).select_from(CameraMetric))
        assert rows and rows >= len(cameras)
    finally:
        await engine.dispose()


async def test_corrupt_files_do_not_crash_anything(
    sqlite_settings: Settings, clips: Any, tmp_path: Path
) -> None:
    good = clips("normal").read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(good[: len(good) // 2])
    corrupt = tmp_path / "corrupt.ts"  # damaged all along: decodes, with errors
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(clips("normal")),
            "-c",
            "copy",
            "-f",
            "mpegts",
            str(corrupt),
        ],
        check=True,
    )
    data = bytearray(corrupt.read_bytes())
    noise = random.Random(1)
    for offset in range(20_000, len(data), 9_000):
        data[offset : offset + 600] = bytes(noise.randrange(256) for _ in range(600))
    corrupt.write_bytes(bytes(data[: len(data)]))
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(bytes(range(256)) * 400)
    cameras = {
        "cam-truncated": f"file://{truncated}",
        "cam-garbage": f"file://{garbage}",
        "cam-missing": f"file://{tmp_path / 'nothing.mp4'}",
        "cam-sim": "sim://street?seed=3&fps=10",
        "cam-corrupt": f"file://{corrupt}",
    }

    def done(events: list[dict[str, Any]]) -> bool:
        broken = ("cam-truncated", "cam-garbage", "cam-missing")
        return (
            all("offline" in _healths(events, c) for c in broken)
            and "ok" in _healths(events, "cam-sim")
            and "degraded" in _healths(events, "cam-corrupt")
        )

    manager, events, (engine, _) = await _run_cameras(sqlite_settings, cameras, done, 20)
    await engine.dispose()
    assert done(events), events
    assert set(_healths(events, "cam-sim")) == {"ok"}
    for code in ("cam-truncated", "cam-garbage", "cam-missing"):
        live = manager.live(code)
        assert live and live["health"] == "offline" and live["last_error"], live
    assert manager.analysis_errors == 0


async def test_metrics_are_written_in_batches(settings: Settings) -> None:
    cameras = {"sim-1": "sim://street?seed=1&fps=10", "sim-2": "sim://street?seed=2&fps=10"}
    started = time.monotonic()
    _, events, (engine, sessions) = await _run_cameras(
        settings, cameras, lambda ev: time.monotonic() - started > 4, 10
    )
    try:
        async with sessions() as s:
            rows = (await s.scalars(select(CameraMetric))).all()
        assert {r.camera_id for r in rows} == {1, 2}
        assert all(r.health == "ok" and r.online for r in rows)
        assert len(rows) >= 4  # about one a second per camera, not one per frame
        assert len(rows) <= 2 * 8
        assert {e["camera"] for e in events} == set(cameras)
    finally:
        await engine.dispose()
