# mypy: disable-error-code="arg-type"
# (Dash components take data-*/aria-* attributes only as **{...} keyword arguments.)
"""Incident list (with filters) and incident detail (timeline, actions by role)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboard.api import ApiError, call, viewer
from jcoc.config import get_settings

STATUSES = ["open", "acknowledged", "in_progress", "resolved", "closed"]
SEVERITY = {1: "1 kritis", 2: "2 tinggi", 3: "3 sedang", 4: "4 rendah"}
# Who may do what (docs/incidents.md); the API enforces it, the page only hides the rest.
ACTIONS = {
    "acknowledge": ("operator", ["open"]),
    "start": ("operator", ["open", "acknowledged"]),
    "comment": ("operator", STATUSES),
    "assign": ("supervisor", ["open", "acknowledged", "in_progress"]),
    "resolve": ("supervisor", ["open", "acknowledged", "in_progress"]),
    "close": ("supervisor", ["resolved"]),
    "reopen": ("supervisor", ["resolved", "closed"]),
}
RANK = {"viewer": 0, "operator": 1, "supervisor": 2, "admin": 3}
LABELS = {
    "acknowledge": "Tanggapi / Acknowledge",
    "start": "Mulai / Start",
    "comment": "Komentar / Comment",
    "assign": "Tugaskan / Assign",
    "resolve": "Selesaikan / Resolve",
    "close": "Tutup / Close",
    "reopen": "Buka lagi / Reopen",
}


def wib(value: str | None) -> str:
    """An ISO time as WIB for people."""
    if not value:
        return "–"
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    return when.astimezone(get_settings().tz).strftime("%d-%m-%Y %H:%M:%S WIB")


def list_page() -> html.Div:
    """Filters and the table of incidents."""
    return html.Div(
        [
            html.H1("Insiden / Incidents"),
            html.Div(
                className="filters",
                children=[
                    dcc.Checklist(
                        id="inc-f-status",
                        options=STATUSES,
                        value=["open", "acknowledged", "in_progress"],
                        inline=True,
                    ),
                    dcc.Checklist(
                        id="inc-f-severity",
                        options=[{"label": v, "value": k} for k, v in SEVERITY.items()],
                        value=[],
                        inline=True,
                    ),
                ],
            ),
            html.Div(id="inc-list"),
        ]
    )


def incident_table(status: list[str], severity: list[int]) -> Any:
    """The rows matching the filters, newest first."""
    try:
        body = call(
            "GET",
            "/api/v1/incidents",
            params={
                k: v for k, v in (("status", status), ("severity", severity), ("limit", 200)) if v
            },
        )
    except ApiError as exc:
        return html.Div(exc.message, className="error", role="alert")
    rows = [
        html.Tr(
            [
                html.Td(dcc.Link(f"#{i['id']}", href=f"/pages/incidents/{i['id']}")),
                html.Td(SEVERITY.get(i.get("severity"), str(i.get("severity")))),
                html.Td(i.get("title", "")),
                html.Td(i.get("status", "")),
                html.Td((i.get("sla") or {}).get("state", "")),
                html.Td(i.get("kecamatan", "")),
                html.Td(i.get("agency") or ""),
                html.Td(wib(i.get("opened_at"))),
            ],
            **{
                "data-incident": str(i["id"]),
                "data-severity": str(i.get("severity")),
                "data-stale": "false",
            },
        )
        for i in body.get("items", [])
    ]
    head = html.Tr(
        [
            html.Th(h)
            for h in ("#", "Tingkat", "Judul", "Status", "SLA", "Kecamatan", "OPD", "Dibuka")
        ]
    )
    return html.Div(
        [
            html.P(f"{body.get('total', len(rows))} insiden / incidents"),
            html.Table([html.Thead(head), html.Tbody(rows)], className="table"),
        ]
    )


def detail_page(incident_id: str) -> html.Div:
    """One incident: facts, actions the viewer may take, timeline, linked cameras/services."""
    if not incident_id.isdigit():
        raise ApiError(404, "404: incident id must be a number")
    return html.Div(
        [
            dcc.Store(id="inc-id", data=int(incident_id)),
            html.Div(
                id="inc-detail",
                children=detail_body(call("GET", f"/api/v1/incidents/{incident_id}")),
            ),
            html.Div(id="inc-message", role="status", className="message"),
        ]
    )


def detail_body(inc: dict[str, Any]) -> list[Any]:
    """The detail's content for one fetched incident."""
    role = viewer().role
    allowed = [
        name
        for name, (needs, states) in ACTIONS.items()
        if RANK.get(role, 0) >= RANK[needs] and inc.get("status") in states
    ]
    sla = inc.get("sla") or {}
    links = inc.get("links") or {}
    facts = [
        ("Status", inc.get("status")),
        ("Tingkat / Severity", SEVERITY.get(inc.get("severity"), inc.get("severity"))),
        ("Kategori / Category", inc.get("category")),
        ("Kecamatan", inc.get("kecamatan")),
        ("OPD / Agency", inc.get("agency")),
        ("Petugas / Assignee", inc.get("assignee")),
        ("Dibuka / Opened", wib(inc.get("opened_at"))),
        ("Batas tanggap / Ack due", wib(sla.get("ack_due_at"))),
        ("Batas selesai / Resolve due", wib(sla.get("resolve_due_at"))),
        ("SLA", sla.get("state")),
    ]
    return [
        html.H1(
            f"#{inc['id']} {inc.get('title', '')}",
            **{
                "data-incident": str(inc["id"]),
                "data-severity": str(inc.get("severity")),
                "data-incident-status": str(inc.get("status")),
                "data-stale": "false",
            },
        ),
        html.P(inc.get("description") or ""),
        html.Dl(
            [c for k, v in facts for c in (html.Dt(k), html.Dd(str(v or "–")))], className="facts"
        ),
        html.Div(
            className="actions",
            children=[
                dcc.Textarea(
                    id="inc-comment", placeholder="Komentar / comment", className="comment"
                ),
                dcc.Input(id="inc-assignee", placeholder="petugas / assignee", type="text"),
                *[
                    html.Button(
                        LABELS[name],
                        id={"type": "inc-action", "action": name},
                        n_clicks=0,
                        **{"data-action": name},
                    )
                    for name in allowed
                ],
            ],
        ),
        html.H2("Linimasa / Timeline"),
        html.Ol(
            [
                html.Li(
                    [
                        html.Span(wib(e.get("time")), className="when"),
                        f" {e.get('kind')} — {e.get('actor')}",
                        f": {e['comment']}" if e.get("comment") else "",
                    ],
                    **{"data-event": str(e.get("kind"))},
                )
                for e in inc.get("timeline", [])
            ],
            className="timeline",
        ),
        html.H2("Kamera / Cameras"),
        html.Div(
            [
                html.A(
                    html.Figure(
                        [
                            html.Img(src=c.get("snapshot_url"), alt=c.get("name")),
                            html.Figcaption(c.get("name")),
                        ]
                    ),
                    href=f"/pages/cameras/{c.get('code')}",
                    **{"data-camera": c.get("code")},
                )
                for c in links.get("cameras", [])
            ],
            className="snaps",
        ),
        html.H2("Layanan / Services"),
        html.Ul(
            [
                html.Li(
                    dcc.Link(
                        s.get("name") or s.get("code"), href=f"/pages/services/{s.get('code')}"
                    )
                )
                for s in links.get("services", [])
            ]
        ),
    ]


def register(app: Dash) -> None:
    """The list filter and the action callbacks."""

    @app.callback(
        Output("inc-list", "children"),
        Input("inc-f-status", "value"),
        Input("inc-f-severity", "value"),
    )
    def _filter(status: list[str], severity: list[int]) -> Any:
        return incident_table(status, severity)

    @app.callback(
        Output("inc-detail", "children"),
        Output("inc-message", "children"),
        Input({"type": "inc-action", "action": ALL}, "n_clicks"),
        State("inc-id", "data"),
        State("inc-comment", "value"),
        State("inc-assignee", "value"),
        prevent_initial_call=True,
    )
    def _act(clicks: list[int], incident_id: int, comment: str | None, assignee: str | None) -> Any:
        trigger = ctx.triggered_id
        if not trigger or not any(clicks):
            return no_update, no_update
        action = trigger["action"]
        body: dict[str, Any] = {"comment": comment or ""}
        if action == "comment" and not comment:
            return no_update, "Tulis komentar dulu / write a comment first"
        if action == "assign":
            body["assignee"] = assignee or None
        try:
            inc = call("POST", f"/api/v1/incidents/{incident_id}/{action}", json=body)
        except ApiError as exc:
            return no_update, html.Span(exc.message, className="error", role="alert")
        return detail_body(inc), html.Span(f"OK: {action}", className="ok")
