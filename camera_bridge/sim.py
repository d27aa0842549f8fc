"""Synthetic cameras for the demo (`sim://street?seed=3`), with faults injected at run time.

A sim camera draws a fixed textured street scene with a few cars moving across it. It is
cheap: one small background per camera and a copy plus a few rectangles per frame.
Faults: offline, frozen, black, overexposed, blur, cover, move; `none` clears.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import cv2
import numpy as np

from camera_bridge.frame import Frame

FAULTS = ("none", "offline", "frozen", "black", "overexposed", "blur", "cover", "move")


class SimSource:
    """A synthetic camera. Query options: seed, fps, w, h."""

    def __init__(self, url: str, *, fps: float = 10.0) -> None:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
        self.seed = int(query.get("seed", "0") or 0)
        self.fps = float(query.get("fps", fps) or fps)
        self.width = int(query.get("w", "320"))
        self.height = int(query.get("h", "180"))
        self.packets = 0
        self.decode_errors = 0
        self.keyframes_only = False
        self.fault = "none"
        self._lock = threading.Lock()
        self._background = _scene(self.seed, self.width, self.height)
        self._cars = _cars(self.seed, self.width, self.height)
        # Sensor noise, as on a real camera (a still scene is not a frozen stream).
        rng = np.random.default_rng(self.seed + 7)
        self._noise = [rng.integers(0, 9, (self.height, self.width, 3), np.uint8) for _ in range(3)]
        self._tick = 0

    def set_fault(self, fault: str) -> None:
        """Inject a fault (or `none` to clear)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        with self._lock:
            self.fault = fault

    def open(self) -> None:
        if self.fault == "offline":
            raise ConnectionError("sim camera unreachable (injected fault)")

    def frames(self) -> Iterator[Frame]:
        interval = 1.0 / max(self.fps, 0.1)
        next_at = time.monotonic()
        last: np.ndarray | None = None
        while True:
            fault = self.fault
            if fault == "offline":
                raise ConnectionError("sim camera went away (injected fault)")
            if fault == "frozen" and last is not None:
                img = last
            else:
                img = self._draw(fault)
                last = img
            self.packets += 1
            yield Frame(bgr=img)
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_at = time.monotonic()

    def _draw(self, fault: str) -> np.ndarray:
        self._tick += 1
        return cv2.add(self._scene(fault), self._noise[self._tick % len(self._noise)])

    def _scene(self, fault: str) -> np.ndarray:
        h, w = self.height, self.width
        if fault == "black":
            return np.zeros((h, w, 3), np.uint8)
        if fault == "overexposed":
            return np.full((h, w, 3), 250, np.uint8)
        img = self._background.copy()
        road_top = int(h * 0.62)
        for i, (speed, lane, color, length) in enumerate(self._cars):
            x = int((self._tick * speed + i * w / len(self._cars)) % (w + length)) - length
            y = road_top + lane
            img[y : y + 10, max(x, 0) : max(x + length, 0)] = color
        if fault == "move":
            dx, dy = w // 6, h // 7
            img = np.ascontiguousarray(np.roll(np.roll(img, dx, axis=1), dy, axis=0))
        elif fault == "blur":
            img = cv2.GaussianBlur(img, (0, 0), 4)
        elif fault == "cover":
            img[: int(h * 0.9), :] = (40, 40, 45)
        return img

    def close(self) -> None:
        """Nothing to release."""


def _scene(seed: int, w: int, h: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.empty((h, w, 3), np.uint8)
    sky = np.linspace(200, 140, int(h * 0.45)).astype(np.uint8)
    img[: len(sky)] = np.stack([sky, sky - 20, sky - 60], axis=1)[:, None, :]
    img[len(sky) :] = (70, 75, 70)
    x = 0
    while x < w:
        bw = int(rng.integers(w // 12, w // 5))
        bh = int(rng.integers(h // 6, h // 2))
        color = rng.integers(60, 220, 3)
        top = int(h * 0.62) - bh
        img[top : int(h * 0.62), x : x + bw] = color
        for wy in range(top + 4, int(h * 0.6) - 4, 8):
            for wx in range(x + 3, x + bw - 4, 7):
                img[wy : wy + 4, wx : wx + 3] = (
                    (230, 230, 180) if rng.random() < 0.5 else (30, 30, 40)
                )
        x += bw + int(rng.integers(2, 10))
    img[int(h * 0.78) : int(h * 0.79), ::12] = 240
    noise = rng.integers(-12, 13, (h, w, 1))
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def _cars(seed: int, w: int, h: int) -> list[tuple[float, int, tuple[int, int, int], int]]:
    rng = np.random.default_rng(seed + 1000)
    cars = []
    for i in range(4):
        speed = float(rng.uniform(w / 60, w / 25)) * (1 if i % 2 == 0 else 1.3)
        lane = 4 + (i % 2) * int(h * 0.14)
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        cars.append((speed, lane, color, int(rng.integers(w // 14, w // 8))))
    return cars  # type: ignore[return-value]
