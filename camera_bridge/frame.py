"""One decoded picture: converted to BGR, small grey or JPEG lazily, each at most once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import cv2
import numpy as np


class Frame:
    """A frame as it came from the source (PyAV frame, BGR array or JPEG bytes)."""

    __slots__ = (
        "_av",
        "_bgr",
        "_jpeg",
        "_lock",
        "height",
        "mono",
        "time",
        "width",
    )

    def __init__(
        self,
        *,
        av_frame: Any = None,
        bgr: np.ndarray | None = None,
        jpeg: bytes | None = None,
        width: int = 0,
        height: int = 0,
    ) -> None:
        self._av = av_frame
        self._bgr = bgr
        self._jpeg = jpeg
        # Re-entrant: jpeg() holds it while bgr() decodes, so viewers racing on one frame
        # wait for the first encode instead of each encoding it again.
        self._lock = threading.RLock()
        self.mono = time.monotonic()
        self.time = datetime.now(UTC)
        if av_frame is not None:
            width, height = av_frame.width, av_frame.height
        elif bgr is not None:
            height, width = bgr.shape[:2]
        self.width = width
        self.height = height

    def age(self, now: float | None = None) -> float:
        """Seconds since the frame arrived."""
        return (now if now is not None else time.monotonic()) - self.mono

    def bgr(self) -> np.ndarray:
        """The full picture as a BGR array (decoded once)."""
        with self._lock:
            if self._bgr is None:
                if self._av is not None:
                    self._bgr = self._av.to_ndarray(format="bgr24")
                elif self._jpeg is not None:
                    self._bgr = cv2.imdecode(np.frombuffer(self._jpeg, np.uint8), cv2.IMREAD_COLOR)
                if self._bgr is None:
                    raise ValueError("frame cannot be decoded")
                self.height, self.width = self._bgr.shape[:2]
            return self._bgr

    def grey(self, width: int = 160) -> np.ndarray:
        """A small grey picture `width` pixels wide (aspect kept) for analytics."""
        if self._av is not None and self._bgr is None:
            height = _height_for(width, self._av.width, self._av.height)
            return np.ascontiguousarray(
                self._av.reformat(width=width, height=height, format="gray").to_ndarray()
            )
        if self._jpeg is not None and self._bgr is None:
            small = cv2.imdecode(
                np.frombuffer(self._jpeg, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_4
            )
            if small is None:
                raise ValueError("JPEG cannot be decoded")
            self.width, self.height = small.shape[1] * 4, small.shape[0] * 4
            height = _height_for(width, small.shape[1], small.shape[0])
            return cv2.resize(small, (width, height), interpolation=cv2.INTER_AREA)
        bgr = self.bgr()
        height = _height_for(width, bgr.shape[1], bgr.shape[0])
        small = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)

    def jpeg(self, quality: int = 75, max_width: int = 1280) -> bytes:
        """The picture as JPEG, encoded once per frame however many viewers ask."""
        with self._lock:
            if self._jpeg is None:
                bgr = self.bgr()
                if bgr.shape[1] > max_width:
                    height = _height_for(max_width, bgr.shape[1], bgr.shape[0])
                    bgr = cv2.resize(bgr, (max_width, height), interpolation=cv2.INTER_AREA)
                ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
                if not ok:
                    raise ValueError("JPEG encoding failed")
                self._jpeg = buf.tobytes()
            return self._jpeg

    @property
    def has_jpeg(self) -> bool:
        return self._jpeg is not None


def _height_for(width: int, src_w: int, src_h: int) -> int:
    return max(2, round(width * src_h / max(src_w, 1) / 2) * 2)
