"""Cameras one core can watch at 1 sample/s (keyframe-only + analytics) vs full decoding.

Cameras per core = 1 / (CPU seconds per camera-second). Decoding dominates; the RTSP
socket reading, not measured here, adds little.
"""

from __future__ import annotations

from bench.camera_media import clip, decode_cost, row


def run() -> list[dict[str, object]]:
    out = []
    for size in ("720p", "1080p"):
        path = clip(size)
        full = decode_cost(path, keyframes_only=False, sample_every_s=1.0)
        keys = decode_cost(path, keyframes_only=True, sample_every_s=1.0, repeat=2)
        out.append(
            row(
                f"cameras per core, {size} H.264 25 fps, analysed at 1 sample/s",
                keys.video_s / keys.cpu_s,
                full.video_s / full.cpu_s,
                "cameras/core",
                "≥ 3× full decode",
            )
        )
    return out


if __name__ == "__main__":
    for r in run():
        print(r)
