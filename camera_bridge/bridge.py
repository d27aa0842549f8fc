"""All cameras of a process, and what viewers get: a fresh snapshot or a capped MJPEG feed."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from functools import lru_cache

import cv2
import numpy as np

from camera_bridge.frame import Frame
from camera_bridge.stream import CameraStream, StreamOptions
from jcoc.camera.runtime import MJPEG_BOUNDARY

log = logging.getLogger(__name__)


class StaleFrameError(Exception):
    """The camera has no frame fresh enough to be shown as live."""

    def __init__(self, code: str, age: float | None) -> None:
        self.age = age
        what = "no frame yet" if age is None else f"last frame {age:.0f} s old"
        super().__init__(f"camera {code}: {what}; not live")


class CameraBridge:
    """One `CameraStream` per camera code."""

    def __init__(
        self,
        *,
        options: StreamOptions | None = None,
        max_age_s: float = 5.0,
        max_viewer_fps: float = 5.0,
        jpeg_quality: int = 75,
    ) -> None:
        self.options = options or StreamOptions()
        self.max_age_s = max_age_s
        self.max_viewer_fps = max_viewer_fps
        self.jpeg_quality = jpeg_quality
        self.jpeg_encodes = 0
        self._streams: dict[str, CameraStream] = {}
        self._lock = threading.Lock()

    def add(
        self,
        code: str,
        url: str,
        *,
        transport: str = "tcp",
        expected_fps: float = 10.0,
        sample_fps: float = 1.0,
    ) -> CameraStream:
        """Start (or restart with new settings) the stream of a camera."""
        self.remove(code)
        stream = CameraStream(
            code,
            url,
            transport=transport,
            expected_fps=expected_fps,
            sample_fps=sample_fps,
            options=self.options,
        )
        with self._lock:
            self._streams[code] = stream
        stream.start()
        return stream

    def remove(self, code: str) -> None:
        """Stop a camera's stream if it runs."""
        with self._lock:
            stream = self._streams.pop(code, None)
        if stream is not None:
            stream.stop(timeout=0.2)

    def get(self, code: str) -> CameraStream | None:
        """The stream of a camera, if this process runs it."""
        return self._streams.get(code)

    def streams(self) -> list[CameraStream]:
        """Every running stream."""
        with self._lock:
            return list(self._streams.values())

    def stop_all(self, timeout: float = 3.0) -> None:
        """Stop every stream, waiting up to `timeout` in all for their readers to finish.

        Waiting matters at exit: a decoder thread still inside FFmpeg while the interpreter
        shuts down can crash the process.
        """
        with self._lock:
            streams = list(self._streams.values())
            self._streams.clear()
        for stream in streams:
            stream.stop(timeout=0.0)
        deadline = time.monotonic() + timeout
        for stream in streams:
            stream.join(max(0.0, deadline - time.monotonic()))

    def _jpeg(self, frame: Frame) -> bytes:
        if not frame.has_jpeg:
            self.jpeg_encodes += 1
        return frame.jpeg(self.jpeg_quality)

    async def snapshot(self, code: str) -> tuple[bytes, float]:
        """The newest frame as JPEG and its age; StaleFrameError when it is not fresh."""
        stream = self.get(code)
        if stream is None:
            raise LookupError(code)
        stream.touch()
        frame = stream.latest()
        age = None if frame is None else frame.age()
        if frame is None or age is None or age > self.max_age_s:
            raise StaleFrameError(code, age)
        return await asyncio.to_thread(self._jpeg, frame), frame.age()

    async def mjpeg(self, code: str, fps: float | None = None) -> AsyncIterator[bytes]:
        """Multipart MJPEG parts for one viewer, at most `fps` per second, fresh frames only.

        When the camera goes stale the viewer gets one "no signal" picture, then frames again
        as soon as they come back.
        """
        stream = self.get(code)
        if stream is None:
            raise LookupError(code)
        interval = 1.0 / min(fps or self.max_viewer_fps, self.max_viewer_fps)
        stream.add_viewer()
        try:
            last: Frame | None = None
            showed_placeholder = False
            while True:
                frame = stream.latest()
                if frame is not None and frame is not last and frame.age() <= self.max_age_s:
                    last = frame
                    showed_placeholder = False
                    yield _part(await asyncio.to_thread(self._jpeg, frame))
                elif not showed_placeholder and (frame is None or frame.age() > self.max_age_s):
                    showed_placeholder = True
                    yield _part(no_signal_jpeg())
                await asyncio.sleep(interval)
        finally:
            stream.remove_viewer()


def _part(jpeg: bytes) -> bytes:
    head = f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
    return head.encode() + jpeg + b"\r\n"


@lru_cache(maxsize=1)
def no_signal_jpeg() -> bytes:
    """A dark picture saying the camera has no live signal (never an old frame)."""
    img = np.full((180, 320, 3), 32, np.uint8)
    cv2.putText(img, "TIDAK ADA SINYAL", (22, 85), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (80, 80, 255), 2)
    cv2.putText(img, "no live signal", (90, 120), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (200, 200, 200), 1)
    ok, buf = cv2.imencode(".jpg", img)
    return buf.tobytes() if ok else b""
