"""Cameras and their metrics: create, change, find, list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.camera.models import Camera, CameraMetric


async def get_camera(*, db_session: AsyncSession, code: str) -> Camera | None:
    """A camera by its code."""
    return await db_session.scalar(select(Camera).where(Camera.code == code))


async def list_cameras(*, db_session: AsyncSession, enabled_only: bool = False) -> Sequence[Camera]:
    """All cameras by code (optionally only the enabled ones)."""
    query = select(Camera).order_by(Camera.code)
    if enabled_only:
        query = query.where(Camera.enabled.is_(True))
    return (await db_session.scalars(query)).all()


async def create_camera(*, db_session: AsyncSession, code: str, url: str, **fields: Any) -> Camera:
    """Register a camera; other fields are Camera columns (name, lat, lon, kecamatan …)."""
    camera = Camera(code=code, url=url, **fields)
    db_session.add(camera)
    await db_session.flush()
    return camera


async def update_camera(*, db_session: AsyncSession, camera: Camera, **fields: Any) -> Camera:
    """Change some columns of a camera."""
    for name, value in fields.items():
        setattr(camera, name, value)
    await db_session.flush()
    return camera


async def delete_camera(*, db_session: AsyncSession, camera: Camera) -> None:
    """Remove a camera and its metrics."""
    await db_session.delete(camera)
    await db_session.flush()


async def list_metrics(
    *,
    db_session: AsyncSession,
    camera: Camera,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 5000,
) -> Sequence[CameraMetric]:
    """A camera's metrics in [start, end), oldest first, at most `limit` (the newest)."""
    query = select(CameraMetric).where(CameraMetric.camera_id == camera.id)
    if start is not None:
        query = query.where(CameraMetric.time >= start)
    if end is not None:
        query = query.where(CameraMetric.time < end)
    rows = (await db_session.scalars(query.order_by(CameraMetric.time.desc()).limit(limit))).all()
    return list(reversed(rows))
