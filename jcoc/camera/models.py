"""Cameras and their health metrics (a hypertable on TimescaleDB)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from jcoc.db.base import Base, utcnow


class CameraHealth(StrEnum):
    ok = "ok"
    offline = "offline"
    frozen = "frozen"
    black = "black"
    overexposed = "overexposed"
    blurred = "blurred"
    covered = "covered"
    moved = "moved"
    degraded = "degraded"
    unknown = "unknown"


class Camera(Base):
    """An IP camera. `url` may hold credentials and is never returned, logged or shown."""

    __tablename__ = "camera"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    rtsp_transport: Mapped[str] = mapped_column(String(4), default="tcp")
    lat: Mapped[float | None] = mapped_column(default=None)
    lon: Mapped[float | None] = mapped_column(default=None)
    kecamatan: Mapped[str] = mapped_column(String(64), default="")
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="SET NULL"), default=None
    )
    expected_fps: Mapped[float] = mapped_column(default=10.0)
    sample_fps: Mapped[float] = mapped_column(default=1.0)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CameraMetric(Base):
    """Health and activity of one camera over one sampling interval."""

    __tablename__ = "camera_metric"
    __table_args__ = (Index("ix_camera_metric_camera_time", "camera_id", "time"),)

    time: Mapped[datetime] = mapped_column(primary_key=True)
    camera_id: Mapped[int] = mapped_column(
        ForeignKey("camera.id", ondelete="CASCADE"), primary_key=True
    )
    health: Mapped[str] = mapped_column(String(16))
    online: Mapped[bool] = mapped_column()
    fps: Mapped[float | None] = mapped_column(default=None)
    brightness: Mapped[float | None] = mapped_column(default=None)
    contrast: Mapped[float | None] = mapped_column(default=None)
    sharpness: Mapped[float | None] = mapped_column(default=None)
    motion: Mapped[float | None] = mapped_column(default=None)
    displacement: Mapped[float | None] = mapped_column(default=None)
