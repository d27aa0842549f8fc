"""Measurements of one small grey frame (pure functions, no state)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

GRID = 8  # the frame is cut into GRID x GRID cells to find flat (covered) areas


@dataclass(frozen=True)
class Measurement:
    brightness: float  # mean level, 0..1
    contrast: float  # standard deviation, 0..1
    sharpness: float  # variance of the Laplacian (absolute; compare with the baseline)
    flat: float  # share of cells with almost no texture, 0..1
    saturated: float  # share of pixels at full white, 0..1
    diff: float | None  # mean absolute difference with the previous sample (grey levels)
    motion: float | None  # share of pixels that changed noticeably since the previous sample


def measure(grey: np.ndarray, previous: np.ndarray | None) -> Measurement:
    """Brightness, contrast, sharpness, flatness and change against the previous sample."""
    mean, std = cv2.meanStdDev(grey)
    lap = cv2.Laplacian(grey, cv2.CV_32F)
    h, w = grey.shape
    ch, cw = h // GRID, w // GRID
    cells = grey[: ch * GRID, : cw * GRID].reshape(GRID, ch, GRID, cw).astype(np.float32)
    flat = float((cells.std(axis=(1, 3)) < 3.0).mean())
    saturated = float(np.count_nonzero(grey >= 250)) / grey.size
    diff = motion = None
    if previous is not None and previous.shape == grey.shape:
        delta = cv2.absdiff(grey, previous)
        diff = float(delta.mean())
        motion = float(np.count_nonzero(delta > 20)) / grey.size
    return Measurement(
        brightness=float(mean[0][0]) / 255.0,
        contrast=float(std[0][0]) / 255.0,
        sharpness=float(lap.var()),
        flat=flat,
        saturated=saturated,
        diff=diff,
        motion=motion,
    )


def displacement(grey: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """How far the view shifted from the reference (share of the width) and how sure (0..1)."""
    if grey.shape != reference.shape:
        return 0.0, 0.0
    window = _hanning(grey.shape)
    (dx, dy), response = cv2.phaseCorrelate(
        reference.astype(np.float32), grey.astype(np.float32), window
    )
    return float(np.hypot(dx, dy)) / grey.shape[1], float(response)


def similarity(grey: np.ndarray, reference: np.ndarray) -> float:
    """Correlation of the frame's edges with the reference's (1 = same view, ~0 = another)."""
    if grey.shape != reference.shape:
        return 1.0
    a = cv2.Sobel(grey.astype(np.float32), cv2.CV_32F, 1, 1).ravel()
    b = cv2.Sobel(reference.astype(np.float32), cv2.CV_32F, 1, 1).ravel()
    a -= a.mean()
    b -= b.mean()
    denom = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / denom if denom > 0 else 0.0


_windows: dict[tuple[int, int], np.ndarray] = {}


def _hanning(shape: tuple[int, ...]) -> np.ndarray:
    key = (shape[1], shape[0])
    if key not in _windows:
        _windows[key] = cv2.createHanningWindow(key, cv2.CV_32F)
    return _windows[key]
