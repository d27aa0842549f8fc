"""`jcoc kpi …`: KPI definitions from the command line."""

from __future__ import annotations

from typing import Annotated, Any

import typer

kpi_app = typer.Typer(help="Agency KPIs.", no_args_is_help=True)


@kpi_app.command("add")
def kpi_add(
    agency: str,
    code: str,
    name: str,
    unit: Annotated[str, typer.Option(help="Unit shown on the wall, e.g. m, %, orang.")] = "",
    warn: Annotated[float | None, typer.Option(help="Warning threshold.")] = None,
    crit: Annotated[float | None, typer.Option(help="Critical threshold.")] = None,
    lower_is_worse: Annotated[
        bool, typer.Option("--lower-is-worse", help="A LOW value is bad (e.g. water pressure).")
    ] = False,
    expected_interval: Annotated[
        int, typer.Option(help="Seconds before silence means stale.")
    ] = 900,
) -> None:
    """Add a KPI: `jcoc kpi add bpbd water_level "Tinggi muka air" --unit m --warn 7 --crit 9`."""
    from jcoc.cli import _fail, run_in_session
    from jcoc.kpi import service as kpi_service
    from jcoc.opd import service as opd_service

    async def go(session: Any) -> None:
        owner = await opd_service.get_agency_by_code(db_session=session, code=agency)
        if owner is None:
            _fail(f"no agency {agency!r}; add it with `jcoc opd add`")
        if await kpi_service.get_kpi_by_code(db_session=session, code=code):
            _fail(f"KPI {code!r} exists already")
        await kpi_service.create_kpi(
            db_session=session,
            agency=owner,
            code=code,
            name=name,
            unit=unit,
            warn_at=warn,
            crit_at=crit,
            higher_is_worse=not lower_is_worse,
            expected_interval_s=expected_interval,
        )

    run_in_session(go)
    typer.echo(f"KPI {code} added to {agency}")
