"""Analytics CPU per sampled frame against bare decoding of the same frames (target ≤ 1.3×).

Production configuration: keyframe-only decoding of a 720p H.264 camera, one sample per
keyframe (1/s). "ours" decodes and analyses (small grey picture + health detector);
"baseline" only decodes the same keyframes.
"""

from __future__ import annotations

from bench.camera_media import clip, decode_cost, row


def run() -> list[dict[str, object]]:
    path = clip("720p")
    decode_cost(path, keyframes_only=True, sample_every_s=None)  # warm caches
    bare = decode_cost(path, keyframes_only=True, sample_every_s=None, repeat=3)
    ours = decode_cost(path, keyframes_only=True, sample_every_s=0.5, repeat=3)
    per_frame_bare = 1000 * bare.cpu_s / max(bare.decoded, 1)
    return [
        row(
            "camera analytics: CPU per sampled 720p frame (decode + analyse vs decode)",
            ours.per_sample_ms,
            per_frame_bare,
            "ms/frame",
            "≤ 1.3×",
        ),
    ]


if __name__ == "__main__":
    for r in run():
        print(r)
