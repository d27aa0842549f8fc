"""Helpers for the camera benchmarks: H.264 clips made with ffmpeg, CPU of decoding them.

Not a benchmark itself (no `run`). Clips are generated once per machine into the temp dir.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import av

from camera_bridge.frame import Frame
from ingest.cameras.detector import HealthDetector

FPS = 25
SECONDS = 8
SIZES = {"720p": "1280x720", "1080p": "1920x1080"}


def clip(size: str) -> Path:
    """An 8 s, 25 fps H.264 street-like clip (busy test pattern + noise), 1 keyframe a second."""
    folder = Path(tempfile.gettempdir()) / "jcoc-bench-clips"
    folder.mkdir(exist_ok=True)
    path = folder / f"street-{size}.mp4"
    if not path.exists():
        source = f"testsrc2=size={SIZES[size]}:rate={FPS},noise=alls=6:allf=t"
        tmp = path.with_suffix(".part.mp4")
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                source,
                "-t",
                str(SECONDS),
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-g",
                str(FPS),
                "-pix_fmt",
                "yuv420p",
                str(tmp),
            ],
            check=True,
        )
        tmp.rename(path)
    return path


@dataclass
class Cost:
    cpu_s: float  # CPU seconds spent
    video_s: float  # seconds of video covered
    decoded: int
    samples: int

    @property
    def per_video_second_ms(self) -> float:
        return 1000 * self.cpu_s / self.video_s

    @property
    def per_sample_ms(self) -> float:
        return 1000 * self.cpu_s / max(self.samples, 1)


def decode_cost(
    path: Path, *, keyframes_only: bool, sample_every_s: float | None, repeat: int = 1
) -> Cost:
    """CPU to decode `path` (one decoder thread), analysing a frame every `sample_every_s`."""
    decoded = samples = 0
    detector = HealthDetector()
    started = time.process_time()
    for _ in range(repeat):
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.codec_context.thread_count = 1
            stream.codec_context.skip_frame = "NONKEY" if keyframes_only else "DEFAULT"
            next_sample = 0.0
            for frame in container.decode(stream):
                decoded += 1
                t = float(frame.time or 0.0)
                if sample_every_s is not None and t >= next_sample:
                    next_sample = t + sample_every_s
                    detector.sample(Frame(av_frame=frame).grey(160))
                    samples += 1
    return Cost(time.process_time() - started, SECONDS * repeat, decoded, samples)


def row(benchmark: str, ours: float, baseline: float, unit: str, target: str) -> dict[str, object]:
    """One result row."""
    return {
        "benchmark": benchmark,
        "ours": round(ours, 3),
        "baseline": round(baseline, 3),
        "unit": unit,
        "ratio": round(ours / baseline, 3) if baseline else None,
        "target": target,
    }
