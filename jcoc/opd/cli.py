"""`jcoc service probe CODE …`: change how the center probes one service."""

from __future__ import annotations

from typing import Annotated, Any

import typer


def service_probe(
    code: str,
    probe: Annotated[str | None, typer.Option(help="none, http or tcp")] = None,
    target: Annotated[str | None, typer.Option(help="URL (http) or host:port (tcp).")] = None,
    interval: Annotated[int | None, typer.Option(help="Probe interval in seconds.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Timeout per try, seconds.")] = None,
    retries: Annotated[int | None, typer.Option(help="Failed tries before 'down'.")] = None,
    expect_status: Annotated[int | None, typer.Option(help="Expected HTTP status.")] = None,
    keyword: Annotated[str | None, typer.Option(help="Text the page must contain.")] = None,
) -> None:
    """Change a service's probe; options not given stay as they are."""
    from jcoc.cli import _fail, run_in_session
    from jcoc.opd import service as opd_service

    if probe is not None and probe not in ("none", "http", "tcp"):
        _fail("--probe must be none, http or tcp")
    fields = {
        "probe_kind": probe,
        "probe_target": target,
        "probe_interval_s": interval,
        "probe_timeout_s": timeout,
        "probe_retries": retries,
        "probe_expect_status": expect_status,
        "probe_keyword": keyword,
    }
    changes = {k: v for k, v in fields.items() if v is not None}

    async def go(session: Any) -> str:
        found = await opd_service.get_service_by_code(db_session=session, code=code)
        if found is None:
            _fail(f"no service {code!r}")
        kind = changes.get("probe_kind", found.probe_kind)
        if kind != "none" and not changes.get("probe_target", found.probe_target):
            _fail("--target is required with --probe http or tcp")
        await opd_service.update_service(db_session=session, service=found, agency=None, **changes)
        return str(kind)

    kind = run_in_session(go)
    typer.echo(f"service {code}: probe {kind}")
    typer.secho(
        "a running server picks this up within 30 s (at once when changed through the API)",
        err=True,
    )
