# mypy: disable-error-code="arg-type"
# (Dash components take data-*/aria-* attributes only as **{...} keyword arguments.)
"""The supervisor pages (`/pages/`): one Dash app, a router, and one module per page kind.

Pages fetch from the REST API with the logged-in person's session (see `dashboard.api`);
actions the person's role may not take are not offered, and the API refuses them anyway.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dash import Dash, Input, Output, dcc, html

from dashboard.api import ApiError, viewer
from dashboard.pages import cameras, incidents, services

ASSETS = str(Path(__file__).with_name("assets"))


def _nav() -> html.Nav:
    who = viewer()
    return html.Nav(
        className="nav",
        children=[
            html.A("JCOC", href="/pages/", className="brand"),
            dcc.Link("Insiden / Incidents", href="/pages/incidents"),
            html.A("Dinding / Wall", href="/wall/"),
            html.Span(f"{who.name} ({who.role})", className="who", **{"data-role": who.role}),
            html.A("Keluar / Log out", href="/pages/logout"),
        ],
    )


def route(pathname: str | None) -> html.Div:
    """The page for `pathname` (under /pages/)."""
    body: Any
    parts = [p for p in (pathname or "/").split("/") if p][1:]  # drop "pages"
    try:
        if not parts or parts == ["incidents"]:
            body = incidents.list_page()
        elif parts[0] == "incidents" and len(parts) == 2:
            body = incidents.detail_page(parts[1])
        elif parts[0] == "services" and len(parts) == 2:
            body = services.service_page(parts[1])
        elif parts[0] == "cameras" and len(parts) == 2:
            body = cameras.camera_page(parts[1])
        else:
            body = html.H1("404 — halaman tidak ada / page not found")
    except ApiError as exc:
        body = html.Div(exc.message, className="error", role="alert")
    return html.Div([_nav(), html.Main(body, className="page")])


def create(*, requests_prefix: str) -> Dash:
    """The supervisor pages as a Dash app served under `requests_prefix` (`/pages/`)."""
    app = Dash(
        __name__,
        assets_folder=ASSETS,
        assets_ignore=r"wall.*",
        requests_pathname_prefix=requests_prefix,
        routes_pathname_prefix="/",
        title="JCOC — Supervisor",
        update_title=None,
        serve_locally=True,
        compress=False,
        suppress_callback_exceptions=True,
    )
    app.layout = html.Div([dcc.Location(id="url"), html.Div(id="page")])
    app.callback(Output("page", "children"), Input("url", "pathname"))(route)
    incidents.register(app)
    return app
