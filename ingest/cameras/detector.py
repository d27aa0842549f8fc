"""Health of one camera against its own rolling baseline, with persistence.

A sample is classified on its own (`raw`); the camera's health changes only after the same
raw verdict for `persist_samples` consecutive samples, so a lightning flash or the switch
to infrared at dusk does not raise an alarm. Relative checks (blurred, covered, moved)
wait until the baseline has learned `baseline_samples` healthy samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingest.cameras.analysis import Measurement, displacement, measure, similarity


@dataclass
class DetectorConfig:
    """Thresholds; the defaults suit a camera sampled once a second."""

    persist_samples: int = 5
    baseline_samples: int = 10
    baseline_alpha: float = 0.05  # weight of a new healthy sample in the rolling baseline
    black_level: float = 0.08  # mean brightness below this and no contrast: black
    blank_contrast: float = 0.02  # contrast below this: a blank (uniform) picture
    overexposed_level: float = 0.92
    overexposed_saturated: float = 0.6
    frozen_diff: float = 0.3  # mean grey-level change between samples below this: frozen
    blur_ratio: float = 0.35  # sharpness below this share of the baseline: blurred
    covered_flat: float = 0.55  # share of flat cells above this …
    covered_delta: float = 0.35  # … and this much more than the baseline: covered
    moved_shift: float = 0.04  # view shifted by more than this share of the width: moved
    moved_similarity: float = 0.15  # edges correlate less than this with the reference: moved
    min_fps_ratio: float = 0.5  # fewer frames than this share of the expected rate: degraded


@dataclass(frozen=True)
class Assessment:
    health: str
    raw: str
    changed: bool
    measurement: Measurement | None
    sharpness_ratio: float | None
    displacement: float | None


class HealthDetector:
    """Rolling baseline and current health of one camera."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = config or DetectorConfig()
        self.health = "unknown"
        self.learned = 0
        self.sharpness_base = 0.0
        self.flat_base = 0.0
        self.reference: np.ndarray | None = None
        self._previous: np.ndarray | None = None
        self._pending = ""
        self._pending_count = 0

    def offline(self) -> Assessment:
        """No frame for too long: offline at once (the wait was the persistence)."""
        changed = self.health != "offline"
        self.health = "offline"
        self._previous = None
        self._pending, self._pending_count = "", 0
        return Assessment("offline", "offline", changed, None, None, None)

    def sample(self, grey: np.ndarray, *, degraded: bool = False) -> Assessment:
        """Assess one sampled frame (small grey) and update the baseline."""
        cfg = self.config
        m = measure(grey, self._previous)
        self._previous = grey
        ratio = shift = None
        raw = self._absolute(m)
        if raw == "ok" and self.learned >= cfg.baseline_samples and self.reference is not None:
            ratio = m.sharpness / self.sharpness_base if self.sharpness_base > 0 else None
            reference = self.reference.astype(np.uint8)
            shift, response = displacement(grey, reference)
            if m.flat > cfg.covered_flat and m.flat - self.flat_base > cfg.covered_delta:
                raw = "covered"
            elif ratio is not None and ratio < cfg.blur_ratio:
                raw = "blurred"
            elif (shift > cfg.moved_shift and response > 0.05) or similarity(
                grey, reference
            ) < cfg.moved_similarity:
                raw = "moved"
        if raw == "ok" and degraded:
            raw = "degraded"
        changed = self._settle(raw)
        if raw == "ok" and self.health in ("ok", "unknown", "degraded"):
            self._learn(grey, m)
        return Assessment(self.health, raw, changed, m, ratio, shift)

    def _absolute(self, m: Measurement) -> str:
        cfg = self.config
        if m.contrast < cfg.blank_contrast and m.brightness < cfg.overexposed_level:
            return "black"
        if m.brightness < cfg.black_level and m.contrast < 2 * cfg.blank_contrast:
            return "black"
        if m.brightness > cfg.overexposed_level or m.saturated > cfg.overexposed_saturated:
            return "overexposed"
        if m.diff is not None and m.diff < cfg.frozen_diff:
            return "frozen"
        return "ok"

    def _settle(self, raw: str) -> bool:
        if self.health in ("unknown", "offline"):
            # First frames after start or after a gap: take the verdict without waiting,
            # except faults, which still need persistence.
            if raw in ("ok", "degraded"):
                self.health, self._pending, self._pending_count = raw, "", 0
                return True
        if raw == self.health:
            self._pending, self._pending_count = "", 0
            return False
        if raw == self._pending:
            self._pending_count += 1
        else:
            self._pending, self._pending_count = raw, 1
        if self._pending_count >= self.config.persist_samples:
            self.health, self._pending, self._pending_count = raw, "", 0
            return True
        return False

    def _learn(self, grey: np.ndarray, m: Measurement) -> None:
        self.learned += 1
        alpha = max(self.config.baseline_alpha, 1.0 / self.learned)
        self.sharpness_base += alpha * (m.sharpness - self.sharpness_base)
        self.flat_base += alpha * (m.flat - self.flat_base)
        if self.reference is None or self.reference.shape != grey.shape:
            self.reference = grey.astype(np.float32)
        else:
            self.reference += alpha * (grey.astype(np.float32) - self.reference)
