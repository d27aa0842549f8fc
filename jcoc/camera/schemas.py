"""Camera API shapes. A camera's URL goes in but only comes out redacted."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMES = ("rtsp", "rtsps", "http", "https", "file", "sim")
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,63}$"
Fault = Literal["none", "offline", "frozen", "black", "overexposed", "blur", "cover", "move"]


def _check_url(value: str) -> str:
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValueError("not a URL") from None
    if parts.scheme.lower() not in SCHEMES:
        raise ValueError(f"URL scheme must be one of {', '.join(SCHEMES)}")
    if parts.scheme.lower() in ("rtsp", "rtsps", "http", "https") and not parts.hostname:
        raise ValueError("URL needs a host")
    if re.search(r"\s", value):
        raise ValueError("URL must not contain spaces")
    return value


class CameraFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=200, description="Name shown on the wall.")
    rtsp_transport: Literal["udp", "tcp"] = Field("tcp", description="RTSP over UDP or TCP.")
    lat: float | None = Field(None, ge=-90, le=90, description="Latitude (WGS84).")
    lon: float | None = Field(None, ge=-180, le=180, description="Longitude (WGS84).")
    kecamatan: str = Field("", max_length=64, description="District (kecamatan).")
    expected_fps: float = Field(10.0, gt=0, le=120, description="Frame rate the camera sends.")
    sample_fps: float = Field(
        1.0, gt=0, le=25, description="Frames per second analysed for health (1 is plenty)."
    )
    enabled: bool = Field(True, description="Disabled cameras are not pulled.")


class CameraIn(CameraFields):
    code: str = Field(..., pattern=CODE_PATTERN, description="Short id, e.g. cctv-simpang-kawat.")
    url: str = Field(
        ...,
        max_length=1000,
        description="rtsp://user:pass@host/path, http(s) MJPEG or JPEG URL, file:// or sim://.",
    )

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        return _check_url(value)


class CameraPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    url: str | None = Field(None, max_length=1000)
    rtsp_transport: Literal["udp", "tcp"] | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    kecamatan: str | None = Field(None, max_length=64)
    expected_fps: float | None = Field(None, gt=0, le=120)
    sample_fps: float | None = Field(None, gt=0, le=25)
    enabled: bool | None = None

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value)


class CameraLive(BaseModel):
    health: str
    online: bool
    frame_age_s: float | None
    fps: float | None
    viewers: int
    dropped_samples: int
    last_error: str


class CameraOut(BaseModel):
    code: str
    name: str
    url: str = Field(..., description="Redacted: credentials are never returned.")
    source: str
    rtsp_transport: str
    lat: float | None
    lon: float | None
    kecamatan: str
    expected_fps: float
    sample_fps: float
    enabled: bool
    created_at: datetime
    live: CameraLive | None = Field(None, description="Live state when this process runs it.")


class MetricOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    time: datetime
    health: str
    online: bool
    fps: float | None
    brightness: float | None
    contrast: float | None
    sharpness: float | None
    motion: float | None
    displacement: float | None


class FaultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fault: Fault = Field(..., description="Fault to show on a sim:// camera; `none` clears it.")
