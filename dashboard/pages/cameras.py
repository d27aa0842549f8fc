# mypy: disable-error-code="arg-type"
# (Dash components take data-*/aria-* attributes only as **{...} keyword arguments.)
"""A camera: live view (`/cameras/{code}/live.mjpg`), health history and metrics charts."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboard.api import ApiError, call
from dashboard.pages.incidents import wib


def _samples(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in ("items", "samples", "metrics"):
            if isinstance(body.get(key), list):
                return list(body[key])
    return []


def metrics_figure(samples: list[dict[str, Any]], fields: tuple[str, ...]) -> dict[str, Any]:
    """One line per metric over time (pure; no I/O)."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": f,
                "x": [s.get("time") for s in samples],
                "y": [s.get(f) for s in samples],
            }
            for f in fields
        ],
        "layout": {"margin": {"l": 40, "r": 10, "t": 10, "b": 40}, "height": 260},
    }


def camera_page(code: str) -> html.Div:
    """Live view, metrics and health changes of one camera."""
    try:
        samples = _samples(call("GET", f"/api/v1/cameras/{code}/metrics"))
        problem = None
    except ApiError as exc:
        samples, problem = [], exc.message
    changes = [
        s
        for i, s in enumerate(samples)
        if i == 0 or s.get("health") != samples[i - 1].get("health")
    ]
    return html.Div(
        [
            html.H1(f"Kamera / Camera {code}", **{"data-camera": code}),
            html.Img(src=f"/cameras/{code}/live.mjpg", className="live", alt=code),
            html.Div(problem or "", className="error", role="alert"),
            dcc.Graph(
                figure=metrics_figure(samples, ("fps", "motion", "brightness", "sharpness")),
                config={"displayModeBar": False},
            ),
            html.H2("Riwayat kesehatan / Health history"),
            html.Ul(
                [
                    html.Li(
                        f"{wib(s.get('time'))} — {s.get('health')}",
                        **{"data-health": str(s.get("health"))},
                    )
                    for s in changes[-50:]
                ]
            ),
        ]
    )
