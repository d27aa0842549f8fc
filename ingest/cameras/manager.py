"""Runs the cameras of one process: streams, analytics, metric batches, bus events.

One asyncio loop ticks a few times a second: it takes the sampled frames of every camera
(the bridge's bounded queues), analyses them on one worker thread, declares cameras offline
when no frame came for `offline_after_s`, writes metric rows in batches and publishes
health on the bus (`camera` channel; docs/bus-events.md). An error in one camera marks it
degraded and never stops the loop or another camera.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from camera_bridge.bridge import CameraBridge, StaleFrameError, no_signal_jpeg
from camera_bridge.frame import Frame
from camera_bridge.stream import CameraStream, StreamOptions
from camera_bridge.urls import redact_url
from ingest.cameras.detector import Assessment, DetectorConfig, HealthDetector
from jcoc.bus import Bus
from jcoc.camera import service
from jcoc.camera.models import CameraMetric
from jcoc.camera.runtime import Snapshot
from jcoc.db.dialect import insert_ignore

log = logging.getLogger(__name__)

MAX_PENDING_ROWS = 10_000


@dataclass(frozen=True)
class CameraSpec:
    id: int
    code: str
    url: str
    transport: str
    expected_fps: float
    sample_fps: float


@dataclass
class ManagerConfig:
    """Tuning of the camera process (tests shorten every interval)."""

    detector: DetectorConfig = field(default_factory=DetectorConfig)
    stream: StreamOptions = field(default_factory=StreamOptions)
    offline_after_s: float = 10.0
    metric_interval_s: float = 10.0
    heartbeat_s: float = 10.0
    reload_interval_s: float = 30.0
    tick_s: float = 0.2
    grey_width: int = 160
    max_age_s: float = 5.0
    max_viewer_fps: float = 5.0
    shard: tuple[int, int] = (0, 1)


def in_shard(code: str, shard: tuple[int, int]) -> bool:
    """Whether camera `code` belongs to shard `i` of `n` (stable across processes)."""
    index, count = shard
    return zlib.crc32(code.encode()) % count == index


@dataclass
class _Camera:
    spec: CameraSpec
    stream: CameraStream
    detector: HealthDetector
    last: Assessment | None = None
    decode_errors: int = 0
    metric_at: float = 0.0
    published_at: float = 0.0


class CameraManager:
    """The cameras of this process (`app.state.cameras`)."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        bus: Bus,
        config: ManagerConfig | None = None,
    ) -> None:
        self.sessions = sessions
        self.bus = bus
        self.config = config or ManagerConfig()
        self.bridge = CameraBridge(
            options=self.config.stream,
            max_age_s=self.config.max_age_s,
            max_viewer_fps=self.config.max_viewer_fps,
        )
        self.cameras: dict[str, _Camera] = {}
        self.rows_dropped = 0
        self.rows_written = 0
        self.analysis_errors = 0
        self._rows: deque[dict[str, Any]] = deque()
        self._events: list[dict[str, Any]] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cam-analytics")
        self._tasks: list[asyncio.Task[None]] = []
        self._reload_now = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the cameras and start pulling and analysing them."""
        await self.reload()
        self._tasks = [
            asyncio.create_task(self._loop(), name="cameras-loop"),
            asyncio.create_task(self._listen(), name="cameras-bus"),
        ]

    async def stop(self) -> None:
        """Stop every stream and write what is pending."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await asyncio.to_thread(self.bridge.stop_all)
        with contextlib.suppress(Exception):
            await self._flush()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def reload(self) -> None:
        """Bring the running streams in line with the camera table."""
        try:
            async with self.sessions() as session:
                cameras = await service.list_cameras(db_session=session, enabled_only=True)
                specs = {
                    c.code: CameraSpec(
                        c.id, c.code, c.url, c.rtsp_transport, c.expected_fps, c.sample_fps
                    )
                    for c in cameras
                    if in_shard(c.code, self.config.shard)
                }
        except Exception as exc:
            log.warning(
                "cameras: cannot read the camera table (%s); will retry", type(exc).__name__
            )
            return
        for code in list(self.cameras):
            if code not in specs:
                self.remove(code)
        for code, spec in specs.items():
            current = self.cameras.get(code)
            if current is None or current.spec != spec:
                self.add(spec)

    def add(self, spec: CameraSpec) -> None:
        """Start (or restart) one camera."""
        stream = self.bridge.add(
            spec.code,
            spec.url,
            transport=spec.transport,
            expected_fps=spec.expected_fps,
            sample_fps=spec.sample_fps,
        )
        self.cameras[spec.code] = _Camera(spec, stream, HealthDetector(self.config.detector))
        log.info("camera %s: pulling %s", spec.code, redact_url(spec.url))

    def remove(self, code: str) -> None:
        """Stop one camera."""
        self.cameras.pop(code, None)
        self.bridge.remove(code)

    # -- the loop ----------------------------------------------------------------------------

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_reload = time.monotonic() + self.config.reload_interval_s
        flush_at = time.monotonic()
        while True:
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._reload_now.wait(), self.config.tick_s)
                now = time.monotonic()
                if self._reload_now.is_set() or now >= next_reload:
                    self._reload_now.clear()
                    next_reload = now + self.config.reload_interval_s
                    await self.reload()
                work = [(cam, cam.stream.take_samples()) for cam in list(self.cameras.values())]
                results = await loop.run_in_executor(self._pool, self._analyse_all, work)
                changed = False
                for cam, assessments in results:
                    for assessment in assessments:
                        changed |= self._record(cam, assessment)
                if changed or self._events or time.monotonic() >= flush_at:
                    flush_at = time.monotonic() + min(2.0, self.config.metric_interval_s)
                    await self._flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("cameras: loop iteration failed; continuing")

    def _analyse_all(
        self, work: list[tuple[_Camera, list[Frame]]]
    ) -> list[tuple[_Camera, list[Assessment]]]:
        return [(cam, self._analyse(cam, frames)) for cam, frames in work]

    def _analyse(self, cam: _Camera, frames: list[Frame]) -> list[Assessment]:
        stream, detector = cam.stream, cam.detector
        age = stream.frame_age()
        since_start = time.monotonic() - stream.started_mono
        if (age is None and since_start > self.config.offline_after_s) or (
            age is not None and age > self.config.offline_after_s
        ):
            return [detector.offline()]
        out = []
        for frame in frames:
            try:
                errors = getattr(stream.source, "decode_errors", 0)
                degraded = errors > cam.decode_errors or self._slow(cam)
                cam.decode_errors = errors
                grey = frame.grey(self.config.grey_width)
                out.append(detector.sample(grey, degraded=degraded))
            except Exception as exc:  # a corrupt frame: degraded, never fatal
                self.analysis_errors += 1
                log.warning("camera %s: cannot analyse a frame (%s)", cam.spec.code, exc)
                changed = detector.health != "degraded"
                detector.health = "degraded"
                out.append(Assessment("degraded", "degraded", changed, None, None, None))
        return out

    def _slow(self, cam: _Camera) -> bool:
        stream = cam.stream
        if time.monotonic() - stream.started_mono < 2 * stream.options.fps_window_s:
            return False
        fps = stream.fps()
        return fps is not None and fps < self.config.detector.min_fps_ratio * cam.spec.expected_fps

    def _record(self, cam: _Camera, a: Assessment) -> bool:
        now = time.monotonic()
        cam.last = a
        due_metric = now - cam.metric_at >= self.config.metric_interval_s
        due_event = now - cam.published_at >= self.config.heartbeat_s
        if not (a.changed or due_metric or due_event):
            return False
        m = a.measurement
        fps = cam.stream.fps() if a.health != "offline" else 0.0
        stamp = datetime.now(UTC)
        values = {
            "health": a.health,
            "online": a.health != "offline",
            "fps": None if fps is None else round(fps, 2),
            "brightness": None if m is None else round(m.brightness, 4),
            "sharpness": None if a.sharpness_ratio is None else round(a.sharpness_ratio, 3),
            "motion": None if m is None or m.motion is None else round(m.motion, 4),
            "displacement": None if a.displacement is None else round(a.displacement, 4),
        }
        if a.changed or due_metric:
            cam.metric_at = now
            if len(self._rows) >= MAX_PENDING_ROWS:
                self._rows.popleft()
                self.rows_dropped += 1
            contrast = None if m is None else round(m.contrast, 4)
            self._rows.append(
                {"time": stamp, "camera_id": cam.spec.id, "contrast": contrast, **values}
            )
        if a.changed or due_event:
            cam.published_at = now
            self._events.append(
                {"camera": cam.spec.code, "time": stamp.isoformat(), **values, "changed": a.changed}
            )
            if a.changed:
                log.info("camera %s: health %s", cam.spec.code, a.health)
        return a.changed

    async def _flush(self) -> None:
        rows = list(self._rows)
        if rows:
            try:
                async with self.sessions() as session:
                    dialect = session.get_bind().dialect.name
                    table = CameraMetric.__table__
                    await session.execute(insert_ignore(dialect, table), rows)  # type: ignore[arg-type]
                    await session.commit()
                for _ in rows:
                    self._rows.popleft()
                self.rows_written += len(rows)
            except Exception as exc:
                log.warning(
                    "cameras: writing %d metric rows failed (%s); will retry",
                    len(rows),
                    type(exc).__name__,
                )
        events, self._events = self._events, []
        for event in events:
            await self.bus.publish("camera", event)

    async def _listen(self) -> None:
        while True:
            try:
                async with self.bus.subscribe("entity", "camera_control", maxsize=1000) as sub:
                    async for event in sub:
                        msg = event.message
                        if event.channel == "entity" and msg.get("kind") == "camera":
                            self._reload_now.set()
                        elif event.channel == "camera_control":
                            self.simulate(str(msg.get("camera")), str(msg.get("fault")))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("cameras: bus listener failed; restarting", exc_info=True)
                await asyncio.sleep(1.0)

    # -- what the API uses (jcoc.camera.runtime.CameraRuntime) -------------------------------

    def runs(self, code: str) -> bool:
        return code in self.cameras

    def live(self, code: str) -> dict[str, Any] | None:
        cam = self.cameras.get(code)
        if cam is None:
            return None
        stream = cam.stream
        age = stream.frame_age()
        health = cam.detector.health
        return {
            "health": health,
            "online": health != "offline" and age is not None,
            "frame_age_s": None if age is None else round(age, 3),
            "fps": stream.fps(),
            "viewers": stream.viewers,
            "dropped_samples": stream.stats.dropped_samples,
            "last_error": stream.stats.last_error,
        }

    async def snapshot(self, code: str) -> Snapshot:
        try:
            jpeg, age = await self.bridge.snapshot(code)
        except LookupError:
            return Snapshot(None, None, f"camera {code} is not pulled here")
        except StaleFrameError as exc:
            return Snapshot(None, exc.age, str(exc))
        return Snapshot(jpeg, age)

    async def mjpeg(self, code: str) -> AsyncIterator[bytes]:
        async for part in self.bridge.mjpeg(code):
            yield part

    def no_signal_jpeg(self) -> bytes:
        return no_signal_jpeg()

    def simulate(self, code: str, fault: str) -> bool:
        stream = self.bridge.get(code)
        if stream is None:
            return False
        try:
            return stream.simulate(fault)
        except ValueError:
            return False
