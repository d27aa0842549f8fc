"""The simulated duty team: acknowledges and resolves the incidents the demo agencies report.

Without it the demo wall would only ever collect open incidents. The team works through the
same REST API a supervisor's browser uses, so each incident gets a real timeline and SLA
clock: acknowledged a few simulated minutes after it opens (now and then late, so the wall
shows a breached SLA), resolved and closed an hour or two later. Incidents opened by people
or by the automatic engine are left alone.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from jcoc.demo.agencies import SimClock, pause, unit
from jcoc.demo.push import PushClient

log = logging.getLogger(__name__)

ACTIVE = ("open", "acknowledged", "in_progress")


def plan(external_id: str, seed: int) -> tuple[timedelta, timedelta]:
    """(acknowledge after, resolve after) in simulated time for one demo incident."""
    late = unit(seed, external_id, "late") < 0.15
    ack_min = (
        25 + 20 * unit(seed, external_id, "ack") if late else 2 + 8 * unit(seed, external_id, "ack")
    )
    resolve_min = 45 + 135 * unit(seed, external_id, "resolve")
    return timedelta(minutes=ack_min), timedelta(minutes=max(resolve_min, ack_min + 5))


class DutyTeam:
    """Moves demo incidents along their lifecycle on the simulated clock."""

    def __init__(self, client: PushClient, password: str, *, seed: int, clock: SimClock) -> None:
        self.client = client
        self.password = password
        self.seed = seed
        self.clock = clock
        self._token = ""

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set."""
        while not stop.is_set():
            await self.round()
            await pause(stop, min(30.0, max(1.0, 60.0 / self.clock.speed)))

    async def round(self) -> None:
        if not self._token:
            self._token = await self.client.login("supervisor", self.password)
            if not self._token:
                return
        items = await self._active()
        now = datetime.now(UTC)
        for item in items:
            ext = item.get("external_id") or ""
            if not ext.startswith("demo-"):
                continue
            opened = datetime.fromisoformat(item["opened_at"])
            age = (now - opened) * self.clock.speed  # simulated age
            ack_after, resolve_after = plan(ext, self.seed)
            if item["status"] == "open" and age >= ack_after:
                await self._act(item["id"], "acknowledge", "Tim menuju lokasi / team on its way")
            elif item["status"] != "open" and age >= resolve_after:
                if await self._act(item["id"], "resolve", "Sudah ditangani / handled"):
                    await self._act(item["id"], "close", "")

    async def _active(self) -> list[dict[str, Any]]:
        query = "&".join(f"status={s}" for s in ACTIVE)
        try:
            response = await self.client.http.get(
                f"/api/v1/incidents?{query}&limit=200",
                headers={"Authorization": f"Bearer {self._token}"},
            )
        except httpx.HTTPError:
            return []
        if response.status_code == 401:
            self._token = ""
        if response.status_code != 200:
            return []
        return list(response.json().get("items", []))

    async def _act(self, incident_id: int, action: str, comment: str) -> bool:
        body = {"comment": comment} if comment else {}
        ok = await self.client.post(
            f"/api/v1/incidents/{incident_id}/{action}",
            self._token,
            body,
            label=f"incident {action}",
        )
        return ok and self.client.last_status is not None and self.client.last_status < 300
