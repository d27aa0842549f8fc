"""`jcoc camera …`: register and list cameras from the command line."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from jcoc.camera import service
from jcoc.camera.schemas import CameraIn
from jcoc.config import ConfigError, get_settings
from jcoc.db.engine import create_engine, detect_flavor, session_factory, transaction
from jcoc.redact import redact_url

T = TypeVar("T")

camera_app = typer.Typer(help="CCTV cameras.", no_args_is_help=True)


def _run(fn: Callable[[Any], Awaitable[T]]) -> T:
    try:
        settings = get_settings()
    except ConfigError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None

    async def main() -> T:
        engine = create_engine(settings)
        try:
            await detect_flavor(engine)
            async with transaction(session_factory(engine)) as session:
                return await fn(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


@camera_app.command("add")
def add(
    code: str,
    url: Annotated[str, typer.Argument(help="rtsp://…, http(s)://… MJPEG/JPEG, file://…, sim://…")],
    name: Annotated[str, typer.Option(help="Name shown on the wall.")] = "",
    lat: Annotated[float | None, typer.Option(help="Latitude.")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude.")] = None,
    kecamatan: Annotated[str, typer.Option(help="District.")] = "",
    transport: Annotated[str, typer.Option(help="RTSP transport: udp or tcp.")] = "tcp",
    expected_fps: Annotated[float, typer.Option(help="Frame rate the camera sends.")] = 10.0,
    sample_fps: Annotated[float, typer.Option(help="Frames analysed per second.")] = 1.0,
) -> None:
    """Register a camera: `jcoc camera add cctv-tugu rtsp://user:pass@10.0.0.5/stream1 --name …`."""
    try:
        body = CameraIn(
            code=code,
            url=url,
            name=name or code,
            lat=lat,
            lon=lon,
            kecamatan=kecamatan,
            rtsp_transport=transport,  # type: ignore[arg-type]
            expected_fps=expected_fps,
            sample_fps=sample_fps,
            enabled=True,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        typer.secho(f"invalid camera: {problems}", fg="red", err=True)
        raise typer.Exit(1) from None

    async def go(session: Any) -> bool:
        if await service.get_camera(db_session=session, code=code):
            return False
        await service.create_camera(db_session=session, **body.model_dump())
        return True

    if not _run(go):
        typer.secho(f"camera {code!r} exists already", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(f"camera {code} added ({redact_url(url)})")


@camera_app.command("list")
def list_() -> None:
    """List cameras (URLs redacted)."""

    async def go(session: Any) -> list[str]:
        return [
            f"{c.code}\t{c.name}\t{redact_url(c.url)}\t{'on' if c.enabled else 'off'}"
            for c in await service.list_cameras(db_session=session)
        ]

    for line in _run(go):
        typer.echo(line)


@camera_app.command("remove")
def remove(code: str) -> None:
    """Remove a camera and its metrics."""

    async def go(session: Any) -> bool:
        camera = await service.get_camera(db_session=session, code=code)
        if camera is None:
            return False
        await service.delete_camera(db_session=session, camera=camera)
        return True

    if not _run(go):
        typer.secho(f"no camera {code!r}", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(f"camera {code} removed")
