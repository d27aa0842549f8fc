"""Camera registry (admin), metrics (viewers) and the live pictures (viewers and walls)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.exc import IntegrityError

from jcoc.auth.deps import Admin, CurrentViewer
from jcoc.camera import service
from jcoc.camera.models import Camera
from jcoc.camera.runtime import MJPEG_BOUNDARY, CameraRuntime
from jcoc.camera.schemas import (
    CameraIn,
    CameraLive,
    CameraOut,
    CameraPatch,
    FaultIn,
    MetricOut,
)
from jcoc.db.deps import SessionDep
from jcoc.redact import redact_url

log = logging.getLogger(__name__)

api_router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"])
media_router = APIRouter(prefix="/cameras", tags=["cameras"])


def _runtime(request: Request) -> CameraRuntime | None:
    return getattr(request.app.state, "cameras", None)


def _out(camera: Camera, runtime: CameraRuntime | None) -> CameraOut:
    live = runtime.live(camera.code) if runtime is not None else None
    return CameraOut(
        code=camera.code,
        name=camera.name,
        url=redact_url(camera.url),
        source=camera.url.split(":", 1)[0].lower() if ":" in camera.url else "file",
        rtsp_transport=camera.rtsp_transport,
        lat=camera.lat,
        lon=camera.lon,
        kecamatan=camera.kecamatan,
        expected_fps=camera.expected_fps,
        sample_fps=camera.sample_fps,
        enabled=camera.enabled,
        created_at=camera.created_at,
        live=CameraLive(**live) if live else None,
    )


async def _publish(request: Request, channel: str, message: dict[str, Any]) -> None:
    try:
        await request.app.state.bus.publish(channel, message)
    except Exception:  # the change is committed; processes also reload periodically
        log.warning("cameras: could not publish %s event", channel)


async def _get_or_404(db_session: Any, code: str) -> Camera:
    camera = await service.get_camera(db_session=db_session, code=code)
    if camera is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no camera {code!r}")
    return camera


@api_router.get("", response_model=list[CameraOut])
async def list_cameras(request: Request, db_session: SessionDep, _: CurrentViewer) -> Any:
    """Every camera (URLs redacted) with its live state where this process runs it."""
    runtime = _runtime(request)
    return [_out(c, runtime) for c in await service.list_cameras(db_session=db_session)]


@api_router.post("", response_model=CameraOut, status_code=status.HTTP_201_CREATED)
async def create_camera(body: CameraIn, request: Request, db_session: SessionDep, _: Admin) -> Any:
    """Register a camera (admin)."""
    if await service.get_camera(db_session=db_session, code=body.code):
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"camera {body.code!r} exists")
    camera = await service.create_camera(db_session=db_session, **body.model_dump())
    try:
        await db_session.commit()
    except IntegrityError:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=f"camera {body.code!r} exists"
        ) from None
    await _publish(request, "entity", {"kind": "camera", "code": camera.code, "action": "created"})
    return _out(camera, _runtime(request))


@api_router.get("/{code}", response_model=CameraOut)
async def get_camera(code: str, request: Request, db_session: SessionDep, _: CurrentViewer) -> Any:
    """One camera (URL redacted) with its live state."""
    return _out(await _get_or_404(db_session, code), _runtime(request))


@api_router.patch("/{code}", response_model=CameraOut)
async def update_camera(
    code: str, body: CameraPatch, request: Request, db_session: SessionDep, _: Admin
) -> Any:
    """Change a camera (admin); its stream restarts with the new settings."""
    camera = await _get_or_404(db_session, code)
    fields = body.model_dump(exclude_unset=True)
    for required in ("name", "url", "rtsp_transport", "expected_fps", "sample_fps", "enabled"):
        if required in fields and fields[required] is None:
            raise HTTPException(422, detail=f"body.{required}: may not be null")
    await service.update_camera(db_session=db_session, camera=camera, **fields)
    await db_session.commit()
    await _publish(request, "entity", {"kind": "camera", "code": code, "action": "updated"})
    return _out(camera, _runtime(request))


@api_router.delete("/{code}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_camera(code: str, request: Request, db_session: SessionDep, _: Admin) -> Response:
    """Remove a camera and its metrics (admin)."""
    camera = await _get_or_404(db_session, code)
    await service.delete_camera(db_session=db_session, camera=camera)
    await db_session.commit()
    await _publish(request, "entity", {"kind": "camera", "code": code, "action": "deleted"})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@api_router.get("/{code}/metrics", response_model=list[MetricOut])
async def camera_metrics(
    code: str,
    db_session: SessionDep,
    _: CurrentViewer,
    start: Annotated[
        datetime | None, Query(alias="from", description="ISO time, inclusive")
    ] = None,
    end: Annotated[datetime | None, Query(alias="to", description="ISO time, exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 5000,
) -> Any:
    """Health metrics of a camera between `from` and `to` (oldest first)."""
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            raise HTTPException(422, detail=f"query.{name}: give a time zone (e.g. +07:00 or Z)")
    if start and end and end <= start:
        raise HTTPException(422, detail="query.to: must be after 'from'")
    camera = await _get_or_404(db_session, code)
    return await service.list_metrics(
        db_session=db_session, camera=camera, start=start, end=end, limit=limit
    )


@api_router.post("/{code}/simulate")
@api_router.post("/{code}/sim-fault", include_in_schema=False)
async def simulate_fault(
    code: str, body: FaultIn, request: Request, db_session: SessionDep, _: Admin
) -> JSONResponse:
    """Inject a fault into a `sim://` camera (demo and drills); `none` clears it (admin)."""
    camera = await _get_or_404(db_session, code)
    if not camera.url.startswith("sim:"):
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=f"camera {code!r} is not a sim:// camera"
        )
    runtime = _runtime(request)
    if runtime is not None and runtime.simulate(code, body.fault):
        return JSONResponse({"camera": code, "fault": body.fault, "applied": True})
    # Run by another process (`jcoc ingest cameras`): tell it over the bus.
    await _publish(request, "camera_control", {"camera": code, "fault": body.fault})
    return JSONResponse({"camera": code, "fault": body.fault, "applied": False}, status_code=202)


def _not_here(code: str) -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        detail=f"camera {code!r} is not pulled by this server (disabled, unknown or sharded out)",
        headers={"Retry-After": "5"},
    )


@media_router.get("/{code}/snapshot.jpg", response_class=Response)
async def snapshot(code: str, request: Request, _: CurrentViewer) -> Response:
    """The newest frame if fresh (`X-Frame-Age`); 503 when the camera is not live."""
    runtime = _runtime(request)
    if runtime is None or not runtime.runs(code):
        raise _not_here(code)
    snap = await runtime.snapshot(code)
    if snap.jpeg is None:
        headers = {"Cache-Control": "no-store", "Retry-After": "2", "X-Camera-Error": snap.message}
        if "image/" in request.headers.get("accept", "") and "json" not in request.headers.get(
            "accept", ""
        ):
            return Response(runtime.no_signal_jpeg(), 503, headers, media_type="image/jpeg")
        return JSONResponse({"detail": snap.message}, 503, headers)
    age = f"{snap.age or 0.0:.3f}"
    return Response(
        snap.jpeg,
        media_type="image/jpeg",
        headers={"X-Frame-Age": age, "Age": str(int(snap.age or 0)), "Cache-Control": "no-store"},
    )


@media_router.get("/{code}/live.mjpg", response_class=StreamingResponse)
async def live(code: str, request: Request, _: CurrentViewer) -> StreamingResponse:
    """Live MJPEG at a capped frame rate; one upstream connection however many watch."""
    runtime = _runtime(request)
    if runtime is None or not runtime.runs(code):
        raise _not_here(code)
    return StreamingResponse(
        runtime.mjpeg(code),
        media_type=f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
        headers={"Cache-Control": "no-store"},
    )


router = APIRouter()
router.include_router(api_router)
router.include_router(media_router)
