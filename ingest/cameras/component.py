"""The camera manager as a part of the all-in-one server (`app.state.cameras`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from ingest.cameras.detector import DetectorConfig
from ingest.cameras.manager import CameraManager, ManagerConfig
from jcoc.config import Settings


def config_from_settings(settings: Settings, shard: tuple[int, int] = (0, 1)) -> ManagerConfig:
    """Manager tuning from `JCOC_CAMERA_*` settings."""
    return replace(
        ManagerConfig(),
        detector=DetectorConfig(persist_samples=settings.camera_persist_samples),
        offline_after_s=settings.camera_offline_after_s,
        max_age_s=settings.camera_snapshot_max_age_s,
        max_viewer_fps=settings.camera_viewer_max_fps,
        shard=shard,
    )


@contextlib.asynccontextmanager
async def camera_component(app: Any) -> AsyncIterator[None]:
    """Pull and analyse every enabled camera while the app runs."""
    settings: Settings = app.state.settings
    if not settings.cameras_enabled:
        yield
        return
    manager = CameraManager(
        sessions=app.state.sessions, bus=app.state.bus, config=config_from_settings(settings)
    )
    app.state.cameras = manager
    await manager.start()
    try:
        yield
    finally:
        await manager.stop()
