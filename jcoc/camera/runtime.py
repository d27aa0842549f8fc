"""What the API needs from the process that runs the cameras (`app.state.cameras`).

The core never imports `camera_bridge` or `ingest`; the composition root puts an object
with this shape on `app.state.cameras` (ingest.cameras.manager.CameraManager).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

MJPEG_BOUNDARY = "jcocframe"


@dataclass(frozen=True)
class Snapshot:
    """The newest frame as JPEG when it is fresh; otherwise why not."""

    jpeg: bytes | None
    age: float | None
    message: str = ""


class CameraRuntime(Protocol):
    def runs(self, code: str) -> bool:
        """Whether this process pulls the camera."""
        ...

    def live(self, code: str) -> dict[str, Any] | None:
        """Live state (health, online, frame_age_s, fps, viewers …) or None."""
        ...

    async def snapshot(self, code: str) -> Snapshot:
        """The newest fresh frame, or why there is none."""
        ...

    def mjpeg(self, code: str) -> AsyncIterator[bytes]:
        """Multipart MJPEG parts for one viewer."""
        ...

    def no_signal_jpeg(self) -> bytes:
        """The picture shown instead of a stale frame."""
        ...

    def simulate(self, code: str, fault: str) -> bool:
        """Inject a fault into a sim camera run here; False when it is not run here."""
        ...
