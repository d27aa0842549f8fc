"""The `jcoc` command: serve, migrate, and administer agencies, keys, users and kiosks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from dashboard.cli import dashboard_app
from ingest.cli import ingest_app
from jcoc.auth import service as auth_service
from jcoc.auth.models import Role
from jcoc.camera.cli import camera_app
from jcoc.config import ConfigError, Settings, get_settings
from jcoc.db.engine import create_engine, detect_flavor, session_factory, transaction
from jcoc.demo.cli import demo as demo_command
from jcoc.kpi.cli import kpi_app
from jcoc.opd import service as opd_service
from jcoc.opd.cli import service_probe

T = TypeVar("T")

app = typer.Typer(help="JCOC — Jambi City Operation Center.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
opd_app = typer.Typer(help="Agencies (OPD).", no_args_is_help=True)
service_app = typer.Typer(help="Agency services.", no_args_is_help=True)
apikey_app = typer.Typer(help="Agency API keys.", no_args_is_help=True)
user_app = typer.Typer(help="People who log in.", no_args_is_help=True)
kiosk_app = typer.Typer(help="Wall display (kiosk) tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(opd_app, name="opd")
app.add_typer(service_app, name="service")
app.add_typer(apikey_app, name="apikey")
app.add_typer(user_app, name="user")
app.add_typer(kiosk_app, name="kiosk")
app.add_typer(ingest_app, name="ingest")
app.add_typer(dashboard_app, name="dashboard")
app.add_typer(camera_app, name="camera")
app.add_typer(kpi_app, name="kpi")
service_app.command("probe")(service_probe)
app.command("demo")(demo_command)


def _settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg="red", err=True)
    raise typer.Exit(1)


def run_in_session(fn: Callable[[Any], Awaitable[T]]) -> T:
    """Run `fn(session)` in one committed transaction against the configured database."""

    async def main() -> T:
        engine = create_engine(_settings())
        try:
            await detect_flavor(engine)
            async with transaction(session_factory(engine)) as session:
                return await fn(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (JCOC_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (JCOC_PORT).")] = None,
) -> None:
    """Run everything in one process: API, hub, ingest and the wall."""
    import uvicorn

    from jcoc import app as app_module
    from jcoc.db import migrate

    settings = _settings()
    migrate.upgrade(settings)
    uvicorn.run(
        app_module.create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or update the schema (hypertables on TimescaleDB)."""
    from jcoc.db import migrate

    migrate.upgrade(_settings(), revision)
    typer.echo(f"database at {revision}")


@db_app.command("prune")
def db_prune(
    dry_run: Annotated[bool, typer.Option(help="Only show what would be removed.")] = False,
) -> None:
    """Apply the retention now: drop time-series rows older than JCOC_RETENTION_DAYS."""
    from datetime import timedelta

    from jcoc.db.base import utcnow
    from jcoc.db.retention import prune

    settings = _settings()

    async def go() -> list[Any]:
        engine = create_engine(settings)
        try:
            await detect_flavor(engine)
            retention = timedelta(days=settings.retention_days)
            return await prune(engine, now=utcnow(), retention=retention, dry_run=dry_run)
        finally:
            await engine.dispose()

    verb = "would remove" if dry_run else "removed"
    typer.echo(f"retention {settings.retention_days} days: {verb}")
    for p in asyncio.run(go()):
        chunks = "" if p.chunks is None else f" in {p.chunks} chunks"
        typer.echo(f"  {p.table}: {p.rows} rows{chunks}")


@opd_app.command("add")
def opd_add(code: str, name: str) -> None:
    """Add an agency: `jcoc opd add dishub "Dinas Perhubungan"`."""

    async def go(session: Any) -> None:
        if await opd_service.get_agency_by_code(db_session=session, code=code):
            _fail(f"agency {code!r} exists already")
        await opd_service.create_agency(db_session=session, code=code, name=name)

    run_in_session(go)
    typer.echo(f"agency {code} added")


@opd_app.command("list")
def opd_list() -> None:
    """List agencies."""

    async def go(session: Any) -> list[tuple[str, str]]:
        return [(a.code, a.name) for a in await opd_service.list_agencies(db_session=session)]

    for code, name in run_in_session(go):
        typer.echo(f"{code}\t{name}")


@service_app.command("add")
def service_add(
    agency: str,
    code: str,
    name: str,
    expected_interval: Annotated[
        int, typer.Option(help="Seconds before silence means stale.")
    ] = 300,
    probe: Annotated[str, typer.Option(help="none, http or tcp")] = "none",
    target: Annotated[str, typer.Option(help="Probe URL (http) or host:port (tcp).")] = "",
    interval: Annotated[int, typer.Option(help="Probe interval in seconds.")] = 60,
    timeout: Annotated[float, typer.Option(help="Probe timeout in seconds.")] = 10.0,
    retries: Annotated[int, typer.Option(help="Failed probes before 'down'.")] = 2,
    expect_status: Annotated[int, typer.Option(help="Expected HTTP status.")] = 200,
    keyword: Annotated[str, typer.Option(help="Text the HTTP body must contain.")] = "",
) -> None:
    """Add a service to an agency: `jcoc service add dpmptsp e-perizinan "E-Perizinan"`."""
    if probe not in ("none", "http", "tcp"):
        _fail("--probe must be none, http or tcp")
    if probe != "none" and not target:
        _fail("--target is required with --probe")

    async def go(session: Any) -> None:
        owner = await opd_service.get_agency_by_code(db_session=session, code=agency)
        if owner is None:
            _fail(f"no agency {agency!r}; add it with `jcoc opd add`")
        if await opd_service.get_service_by_code(db_session=session, code=code):
            _fail(f"service {code!r} exists already")
        await opd_service.create_service(
            db_session=session,
            agency=owner,
            code=code,
            name=name,
            expected_interval_s=expected_interval,
            probe_kind=probe,
            probe_target=target,
            probe_interval_s=interval,
            probe_timeout_s=timeout,
            probe_retries=retries,
            probe_expect_status=expect_status,
            probe_keyword=keyword,
        )

    run_in_session(go)
    typer.echo(f"service {code} added to {agency}")


@apikey_app.command("create")
def apikey_create(agency: str, name: str = "") -> None:
    """Create an API key for an agency. The key is printed once; only its hash is kept."""

    async def go(session: Any) -> auth_service.NewSecret:
        owner = await opd_service.get_agency_by_code(db_session=session, code=agency)
        if owner is None:
            _fail(f"no agency {agency!r}")
        return await auth_service.create_api_key(db_session=session, agency=owner, name=name)

    secret = run_in_session(go)
    typer.echo(secret.token)
    typer.secho(
        f"API key #{secret.id} for {agency}; store it now, it cannot be shown again.", err=True
    )


@apikey_app.command("revoke")
def apikey_revoke(key_id: int) -> None:
    """Revoke an API key by its number."""
    if not run_in_session(lambda s: auth_service.revoke_api_key(db_session=s, key_id=key_id)):
        _fail(f"no API key #{key_id}")
    typer.echo(f"API key #{key_id} revoked")


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[
        Role, typer.Option(help="viewer, operator, supervisor or admin")
    ] = Role.operator,
    full_name: str = "",
    password: Annotated[
        str | None, typer.Option(help="Omit to be asked (not echoed).", envvar="JCOC_NEW_PASSWORD")
    ] = None,
) -> None:
    """Add a person who logs in."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        _fail("password must have at least 8 characters")

    async def go(session: Any) -> None:
        if await auth_service.get_user_by_username(db_session=session, username=username):
            _fail(f"user {username!r} exists already")
        await auth_service.create_user(
            db_session=session, username=username, password=password, role=role, full_name=full_name
        )

    run_in_session(go)
    typer.echo(f"user {username} ({role}) added")


@kiosk_app.command("create")
def kiosk_create(name: str) -> None:
    """Create a viewer-only token for a wall display; printed once."""
    secret = run_in_session(lambda s: auth_service.create_kiosk_token(db_session=s, name=name))
    typer.echo(secret.token)
    typer.secho(
        f"kiosk token #{secret.id}; open the wall at /wall?kiosk=<token>. Revoke with "
        f"`jcoc kiosk revoke {secret.id}`.",
        err=True,
    )


@kiosk_app.command("revoke")
def kiosk_revoke(kiosk_id: int) -> None:
    """Revoke a kiosk token by its number."""
    if not run_in_session(
        lambda s: auth_service.revoke_kiosk_token(db_session=s, kiosk_id=kiosk_id)
    ):
        _fail(f"no kiosk token #{kiosk_id}")
    typer.echo(f"kiosk token #{kiosk_id} revoked")


def main() -> None:  # pragma: no cover - console entry
    app(prog_name="jcoc")


if __name__ == "__main__":  # pragma: no cover
    main()
