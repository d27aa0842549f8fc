"""The occasional camera fault: the demo breaks a sim camera now and then, then mends it.

Faults go through the camera admin API as an administrator would, so the wall shows them
exactly as it would show a real camera's trouble (detected by the analytics, not told).
Like the agency pushes, a missing or failing endpoint is logged once and retried.
"""

from __future__ import annotations

import asyncio
import logging

from jcoc.demo import jambi
from jcoc.demo.agencies import SimClock, pause, unit
from jcoc.demo.push import PushClient

log = logging.getLogger(__name__)

FAULT_SLOT_S = 10 * 60  # a fault lasts one simulated slot
FAULT_RATE = 0.04  # chance per camera and slot
FAULTS = ("offline", "frozen", "black", "blur", "cover", "overexposed", "move")


def fault_path(code: str) -> str:
    """The admin route that injects a fault into a sim camera (docs/cameras.md)."""
    return f"/api/v1/cameras/{code}/simulate"


def camera_fault(code: str, seed: int, slot: int) -> str:
    """The fault camera `code` shows in simulated slot `slot` (`none` most of the time)."""
    if unit(seed, code, "fault", slot) >= FAULT_RATE:
        return "none"
    return FAULTS[int(unit(seed, code, "kind", slot) * len(FAULTS))]


class CameraSimulator:
    """Keeps each sim camera's injected fault in step with the seeded schedule."""

    def __init__(
        self,
        client: PushClient,
        admin_password: str,
        *,
        seed: int,
        clock: SimClock,
        cameras: tuple[jambi.CameraSeed, ...] = jambi.CAMERAS,
    ) -> None:
        self.client = client
        self.admin_password = admin_password
        self.seed = seed
        self.clock = clock
        self.codes = [c.code for c in cameras]
        self._applied: dict[str, str] = {}
        self._token = ""

    async def run(self, stop: asyncio.Event) -> None:
        """Apply the schedule until `stop` is set."""
        while not stop.is_set():
            await self.round()
            await pause(stop, min(10.0, max(1.0, 60.0 / self.clock.speed)))

    async def round(self) -> None:
        slot = int(self.clock.now().timestamp() // FAULT_SLOT_S)
        for code in self.codes:
            fault = camera_fault(code, self.seed, slot)
            if self._applied.get(code, "none") == fault:
                continue
            if not self._token and not await self._login():
                return
            sent = await self.client.post(
                fault_path(code), self._token, {"fault": fault}, label="camera fault API"
            )
            if self.client.last_status == 401:
                self._token = ""  # the login expired: log in again next round
                return
            if sent:
                self._applied[code] = fault
                if fault != "none":
                    log.info("demo: camera %s now shows fault %s", code, fault)

    async def _login(self) -> bool:
        self._token = await self.client.login("admin", self.admin_password)
        return bool(self._token)
