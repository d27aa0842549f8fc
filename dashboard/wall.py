# mypy: disable-error-code="arg-type"
# (Dash components take data-*/aria-* attributes only as **{...} keyword arguments.)
"""The control-room wall (`/wall/`): the page shell, figures and the language toggle.

The live panels (KPI tiles, service matrix, incidents, cameras) are drawn by
`assets/wall.js`, a websocket client of the hub that applies snapshot/update messages
straight to the DOM. It feeds `wall-data` once a second; clientside callbacks turn that into
the map and trend figures (`assets/wall_figures.js`). No browser polls the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html

from jcoc.geo import KECAMATAN

ASSETS = str(Path(__file__).with_name("assets"))

EMPTY_FIGURE: dict[str, Any] = {
    "data": [],
    "layout": {"paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)"},
}


def _panel(panel_id: str, title_id: str, title: str, body: Any) -> html.Section:
    return html.Section(
        [html.H2(title, className="panel-title", **{"data-i18n": title_id}), body],
        id=f"panel-{panel_id}",
        className=f"panel panel-{panel_id}",
        **{"data-panel": panel_id},
    )


def layout() -> html.Div:
    """The wall's static shell; wall.js fills the live containers."""
    graph_config = {"displayModeBar": False, "staticPlot": False, "responsive": True}
    return html.Div(
        id="wall",
        className="wall view-overview",
        **{"data-connection": "connecting", "lang": "id"},
        children=[
            dcc.Store(id="wall-data", data=None),
            dcc.Store(id="wall-lang", data="id"),
            dcc.Store(
                id="wall-geo",
                data=[{"name": k.name, "lat": k.lat, "lon": k.lon} for k in KECAMATAN],
            ),
            html.Header(
                className="wall-header",
                children=[
                    html.Div("JCOC", className="brand"),
                    html.Div(
                        "Jambi City Operation Center",
                        className="brand-sub",
                        **{"data-i18n": "subtitle"},
                    ),
                    html.Div(id="wall-summary", className="summary", **{"data-stale": "true"}),
                    html.Div(
                        id="wall-conn",
                        className="conn",
                        role="status",
                        **{"data-state": "connecting", "aria-live": "polite"},
                    ),
                    html.Div(id="wall-clock", className="clock", **{"aria-label": "WIB"}),
                    html.Button("EN", id="wall-lang-btn", className="lang-btn", n_clicks=0),
                ],
            ),
            html.Div(id="wall-banner", className="banner", role="alert"),
            html.Main(
                className="wall-grid",
                children=[
                    _panel("kpis", "kpis", "Indikator", html.Div(id="wall-kpis", className="kpis")),
                    _panel(
                        "services",
                        "services",
                        "Layanan OPD",
                        html.Div(id="wall-services", className="matrix"),
                    ),
                    _panel(
                        "incidents",
                        "incidents",
                        "Insiden terbuka",
                        html.Div(id="wall-incidents", className="incidents"),
                    ),
                    _panel(
                        "cameras",
                        "cameras",
                        "Kamera",
                        html.Div(id="wall-cameras", className="mosaic"),
                    ),
                    _panel(
                        "map",
                        "map",
                        "Peta Kota Jambi",
                        dcc.Graph(
                            id="wall-map",
                            figure=EMPTY_FIGURE,
                            config=graph_config,
                            className="graph",
                        ),
                    ),
                    _panel(
                        "trends",
                        "trends",
                        "Tren",
                        html.Div(
                            className="trends",
                            children=[
                                dcc.Graph(
                                    id="wall-trend-events",
                                    figure=EMPTY_FIGURE,
                                    config=graph_config,
                                    className="graph",
                                ),
                                dcc.Graph(
                                    id="wall-trend-availability",
                                    figure=EMPTY_FIGURE,
                                    config=graph_config,
                                    className="graph",
                                ),
                            ],
                        ),
                    ),
                ],
            ),
        ],
    )


def create(*, requests_prefix: str) -> Dash:
    """The wall as a Dash app served under `requests_prefix` (e.g. `/wall/`)."""
    app = Dash(
        __name__,
        assets_folder=ASSETS,
        assets_ignore=r"console.*",
        requests_pathname_prefix=requests_prefix,
        routes_pathname_prefix="/",
        title="JCOC — Dinding Kendali",
        update_title=None,
        serve_locally=True,
        compress=False,
    )
    app.layout = layout
    app.clientside_callback(
        ClientsideFunction("jcoc", "toggleLang"),
        Output("wall-lang", "data"),
        Input("wall-lang-btn", "n_clicks"),
        State("wall-lang", "data"),
    )
    app.clientside_callback(
        ClientsideFunction("jcoc", "mapFigure"),
        Output("wall-map", "figure"),
        Input("wall-data", "data"),
        Input("wall-lang", "data"),
        State("wall-geo", "data"),
    )
    app.clientside_callback(
        ClientsideFunction("jcoc", "trendFigures"),
        Output("wall-trend-events", "figure"),
        Output("wall-trend-availability", "figure"),
        Input("wall-data", "data"),
        Input("wall-lang", "data"),
    )
    return app
