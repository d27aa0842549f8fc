# mypy: disable-error-code="arg-type"
# (Dash components take data-*/aria-* attributes only as **{...} keyword arguments.)
"""A service's status history and availability (`GET /api/v1/services/{code}/history`)."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboard.api import ApiError, call
from dashboard.pages.incidents import wib

COLOURS = {"up": "#22c55e", "degraded": "#f59e0b", "down": "#ef4444", "maintenance": "#60a5fa"}


def _events(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in ("items", "events", "history"):
            if isinstance(body.get(key), list):
                return list(body[key])
    return []


def history_figure(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Status over time as coloured markers (pure; no I/O)."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "x": [e.get("time") for e in events],
                "y": [e.get("status") for e in events],
                "marker": {
                    "size": 10,
                    "color": [COLOURS.get(e.get("status"), "#94a3b8") for e in events],
                },
            }
        ],
        "layout": {"margin": {"l": 100, "r": 10, "t": 10, "b": 40}, "height": 260},
    }


def service_page(code: str) -> html.Div:
    """History table, chart and availability of one service."""
    try:
        body = call("GET", f"/api/v1/services/{code}/history")
    except ApiError as exc:
        return html.Div([html.H1(code), html.Div(exc.message, className="error", role="alert")])
    events = _events(body)
    availability = body.get("availability") if isinstance(body, dict) else None
    return html.Div(
        [
            html.H1(f"Layanan / Service {code}", **{"data-service": code}),
            html.P(
                f"Ketersediaan / availability: {availability}" if availability is not None else ""
            ),
            dcc.Graph(figure=history_figure(events), config={"displayModeBar": False}),
            html.Table(
                [html.Tr([html.Th("Waktu"), html.Th("Status"), html.Th("Pesan")])]
                + [
                    html.Tr(
                        [
                            html.Td(wib(e.get("time"))),
                            html.Td(e.get("status")),
                            html.Td(e.get("message") or ""),
                        ],
                        **{"data-status": str(e.get("status"))},
                    )
                    for e in events[:200]
                ],
                className="table",
            ),
        ]
    )
