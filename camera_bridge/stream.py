"""One camera: a single upstream reader thread, the latest frame, samples for analytics.

However many viewers watch, there is one connection per camera. The reader reconnects
with backoff (fast at first, then slower). Analytics get a bounded queue of 2: when it is
full the stale frame is dropped and counted. Viewers switch the decoder to every frame;
with no viewer and a low sample rate an H.264 camera is decoded keyframes-only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

from camera_bridge.frame import Frame
from camera_bridge.sources import Source, open_source
from camera_bridge.urls import redact_url, scrub

log = logging.getLogger(__name__)


class StreamState(StrEnum):
    connecting = "connecting"
    live = "live"
    backoff = "backoff"
    stopped = "stopped"


@dataclass
class StreamOptions:
    """How a stream connects and samples (the defaults suit real cameras)."""

    backoff: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
    timeout: float = 5.0  # connect and read timeout: a silent stream is reopened after this
    keyframes_only_below_fps: float = 1.0  # sample rates at or below this decode keyframes only
    viewer_linger_s: float = 10.0  # keep full decoding this long after a snapshot request
    fps_window_s: float = 5.0


@dataclass
class StreamStats:
    connects: int = 0
    connect_failures: int = 0
    frames: int = 0
    samples: int = 0
    dropped_samples: int = 0
    last_error: str = ""
    last_error_mono: float = 0.0
    state: StreamState = StreamState.connecting
    packet_times: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=64))


class CameraStream:
    """The live picture of one camera."""

    def __init__(
        self,
        code: str,
        url: str,
        *,
        transport: str = "tcp",
        expected_fps: float = 10.0,
        sample_fps: float = 1.0,
        options: StreamOptions | None = None,
    ) -> None:
        self.code = code
        self.url = url
        self.transport = transport
        self.expected_fps = expected_fps
        self.sample_fps = sample_fps
        self.options = options or StreamOptions()
        self.stats = StreamStats()
        self.started_mono = time.monotonic()
        self.source: Source = open_source(
            url, transport=transport, expected_fps=expected_fps, timeout=self.options.timeout
        )
        self._latest: Frame | None = None
        self._samples: deque[Frame] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._viewers = 0
        self._linger_until = 0.0
        self._next_sample = 0.0

    @property
    def safe_url(self) -> str:
        return redact_url(self.url)

    def start(self) -> None:
        """Start the reader thread."""
        self._thread = threading.Thread(target=self._run, name=f"cam-{self.code}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the reader to stop (it exits at its next frame or read timeout)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.stats.state = StreamState.stopped

    def join(self, timeout: float) -> None:
        """Wait for the reader thread to end."""
        if self._thread is not None:
            self._thread.join(timeout)

    # -- reader ----------------------------------------------------------------------------

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            self.stats.state = StreamState.connecting
            try:
                self.source.open()
                self.stats.connects += 1
                self.stats.state = StreamState.live
                log.info("camera %s: connected to %s", self.code, self.safe_url)
                for frame in self.source.frames():
                    attempt = 0
                    self._on_frame(frame)
                    if self._stop.is_set():
                        break
            except Exception as exc:  # any failure: the camera is unreachable or corrupt
                self.stats.connect_failures += 1
                self.stats.last_error = scrub(f"{type(exc).__name__}: {exc}", self.url)[:300]
                self.stats.last_error_mono = time.monotonic()
                log.warning("camera %s: %s", self.code, self.stats.last_error)
            finally:
                try:
                    self.source.close()
                except Exception:
                    log.debug("camera %s: close failed", self.code)
            if self._stop.is_set():
                break
            delay = self.options.backoff[min(attempt, len(self.options.backoff) - 1)]
            attempt += 1
            self.stats.state = StreamState.backoff
            self._stop.wait(delay)
        self.stats.state = StreamState.stopped

    def _on_frame(self, frame: Frame) -> None:
        now = frame.mono
        self.stats.frames += 1
        self.stats.packet_times.append((now, self.source.packets))
        self.source.keyframes_only = self._keyframes_only(now)
        with self._lock:
            self._latest = frame
            if now >= self._next_sample:
                self._next_sample = max(self._next_sample + 1.0 / self.sample_fps, now)
                if len(self._samples) >= 2:
                    self._samples.popleft()
                    self.stats.dropped_samples += 1
                self._samples.append(frame)
                self.stats.samples += 1

    def _keyframes_only(self, now: float) -> bool:
        if self._viewers > 0 or now < self._linger_until:
            return False
        return self.sample_fps <= self.options.keyframes_only_below_fps

    # -- consumers -------------------------------------------------------------------------

    def latest(self) -> Frame | None:
        """The newest frame, whatever its age (check `frame.age()`)."""
        return self._latest

    def frame_age(self) -> float | None:
        """Seconds since the newest frame, or None before the first one."""
        frame = self._latest
        return None if frame is None else frame.age()

    def take_samples(self) -> list[Frame]:
        """The frames queued for analytics (at most 2), oldest first."""
        with self._lock:
            samples = list(self._samples)
            self._samples.clear()
        return samples

    def fps(self) -> float | None:
        """Packets per second received over the last few seconds (None if unknown)."""
        times = list(self.stats.packet_times)
        if not times:
            return None
        now = time.monotonic()
        recent = [(t, n) for t, n in times if now - t <= self.options.fps_window_s]
        if len(recent) < 2:
            return 0.0 if now - times[-1][0] > self.options.fps_window_s else None
        (t0, n0), (t1, n1) = recent[0], recent[-1]
        span = max(now - t0, t1 - t0, 1e-3)
        return (n1 - n0) / span

    def add_viewer(self) -> None:
        """A viewer started watching: decode every frame."""
        with self._lock:
            self._viewers += 1

    def remove_viewer(self) -> None:
        """A viewer left."""
        with self._lock:
            self._viewers = max(0, self._viewers - 1)

    @property
    def viewers(self) -> int:
        return self._viewers

    def touch(self) -> None:
        """Someone asked for a snapshot: decode every frame for a while."""
        self._linger_until = time.monotonic() + self.options.viewer_linger_s

    def simulate(self, fault: str) -> bool:
        """Inject a fault into a `sim://` camera; False for real cameras."""
        set_fault = getattr(self.source, "set_fault", None)
        if set_fault is None:
            return False
        set_fault(fault)
        return True
