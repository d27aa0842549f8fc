"""`jcoc dashboard`: the wall and supervisor pages as their own process (split mode)."""

from __future__ import annotations

from typing import Annotated

import typer

dashboard_app = typer.Typer(help="The wall and supervisor pages as their own process.")


@dashboard_app.callback(invoke_without_command=True)
def dashboard(
    api: Annotated[str, typer.Option(help="Base URL of the JCOC API, e.g. http://api:8000")],
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8050,
) -> None:
    """Serve /wall/ and /pages/ as a client of the API and hub at `--api` (no database)."""
    import uvicorn

    from dashboard.server import create_split_app

    uvicorn.run(create_split_app(api), host=host, port=port, log_level="info")
