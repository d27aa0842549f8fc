"""Keyframe-only decoding vs full decoding of the same H.264 camera (CPU per camera-second).

A camera analysed once a second needs one picture a second: with PyAV's
`skip_frame = "NONKEY"` only the keyframes (here 1 in 25) are decoded.
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
                f"camera {size} H.264 at 1 sample/s: keyframe-only vs full decode",
                keys.per_video_second_ms,
                full.per_video_second_ms,
                "CPU ms per camera-s",
                "≤ 0.3×",
            )
        )
    return out


if __name__ == "__main__":
    for r in run():
        print(r)
