"""Automatic incidents for cameras in a fault state (offline, covered, moved …).

`camera` events open one for a camera faulty past `JCOC_CAMERA_INCIDENT_GRACE_SECONDS`,
and resolve it when the camera is ok again. When each fault began is kept in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc import geo
from jcoc.camera.models import Camera
from jcoc.incident import auto, service
from jcoc.incident.models import Category, Incident, IncidentSource, Severity
from jcoc.incident.schemas import IncidentIn

CAMERA_FAULTS = frozenset(
    {"offline", "frozen", "black", "overexposed", "blurred", "covered", "moved"}
)


@dataclass
class CameraFault:
    health: str
    since: datetime


def camera_key(camera_id: int) -> str:
    return f"camera:{camera_id}"


class CameraWatch:
    def __init__(self, grace: timedelta) -> None:
        self.grace = grace
        self.faults: dict[int, CameraFault] = {}  # camera id → its current fault

    async def on_camera(self, db_session: AsyncSession, now: datetime, msg: dict[str, Any]) -> None:
        cam = await db_session.scalar(select(Camera).where(Camera.code == msg.get("camera")))
        if cam is None:
            return
        health = str(msg.get("health", ""))
        if health in CAMERA_FAULTS:
            if cam.id not in self.faults:
                since = auto.parse_time(msg.get("time")) or now
                self.faults[cam.id] = CameraFault(health, min(since, now))
            else:
                self.faults[cam.id].health = health
        elif health == "ok":
            self.faults.pop(cam.id, None)
        await self.check(db_session, cam, now)

    async def check_all(self, db_session: AsyncSession, now: datetime) -> None:
        """Check the cameras with a fault or an open automatic incident."""
        open_ids = {
            int(k.split(":")[1])
            for k in (
                await db_session.scalars(
                    select(Incident.auto_key).where(
                        Incident.auto_key.startswith("camera:"), Incident.status.in_(auto.ACTIVE)
                    )
                )
            ).all()
            if k
        }
        ids = open_ids | set(self.faults)
        if not ids:
            return
        for cam in (await db_session.scalars(select(Camera).where(Camera.id.in_(ids)))).all():
            await self.check(db_session, cam, now)

    async def check(self, db_session: AsyncSession, cam: Camera, now: datetime) -> None:
        key = camera_key(cam.id)
        fault = self.faults.get(cam.id)
        current = await auto.latest(db_session, key)
        if fault is None:
            await auto.resolve(
                db_session,
                current,
                now,
                f"Selesai otomatis: kamera {cam.code} normal kembali / "
                f"resolved automatically: camera {cam.code} is ok again",
            )
            return
        if now - fault.since < self.grace or auto.covers(current, fault.since):
            return
        # A camera registered with a bad location must still get its incident.
        located = cam.lat is not None and cam.lon is not None and geo.in_city(cam.lat, cam.lon)
        known = geo.find_kecamatan(cam.kecamatan or "")
        await service.create(
            db_session=db_session,
            data=IncidentIn(
                title=f"Kamera {cam.name}: {fault.health}",
                description=f"{cam.code}: {fault.health} since {fault.since.isoformat()}",
                category=Category.camera_fault,
                severity=Severity.medium,
                lat=cam.lat if located else None,
                lon=cam.lon if located else None,
                kecamatan=known.name if known else "",
            ),
            source=IncidentSource.automatic,
            actor="system",
            now=now,
            agency=None,
            auto_key=key,
            camera_ids=[cam.id],
        )
