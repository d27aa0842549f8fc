"""Simulated agency systems: statuses, KPIs and incidents pushed through the public API.

Everything the city "does" is a pure function of (seed, simulated time), so a given
`--seed` plays the same day: the same outages, the same rush hours, the same incidents.
The simulated clock runs `speed` times faster than the wall clock; pushed timestamps are
always the real time (the server refuses the future).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from jcoc import geo
from jcoc.demo import jambi
from jcoc.demo.push import PushClient

log = logging.getLogger(__name__)

WIB = ZoneInfo("Asia/Jakarta")
STATUS_SLOT_S = 15 * 60  # a simulated outage lasts at least this long
SILENCE_SLOT_S = 30 * 60
INCIDENT_SLOT_S = 20 * 60


def unit(seed: int, *parts: object) -> float:
    """A deterministic uniform number in [0, 1) for (seed, parts)."""
    digest = hashlib.blake2b(f"{seed}|{'|'.join(map(str, parts))}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") / 2**64


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, waking early when `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class SimClock:
    """Simulated time: starts at the real time and runs `speed` times faster."""

    def __init__(self, speed: float, start: datetime | None = None) -> None:
        self.speed = speed
        self._start = start or datetime.now(UTC)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)


def _hour(at: datetime) -> float:
    local = at.astimezone(WIB)
    return local.hour + local.minute / 60 + local.second / 3600


def daily_curve(hour: float, peaks: tuple[float, ...], width: float = 2.5) -> float:
    """0..1: how busy the city is at `hour` WIB, with bumps at `peaks`."""
    total = 0.0
    for peak in peaks:
        distance = min(abs(hour - peak), 24 - abs(hour - peak))
        total += math.exp(-((distance / width) ** 2))
    return min(1.0, total)


def _office_progress(hour: float) -> float:
    """Share of an office day (07:30–16:00 WIB) done by `hour`, smooth at both ends."""
    x = min(1.0, max(0.0, (hour - 7.5) / 8.5))
    return x * x * (3 - 2 * x)


def kpi_value(kpi: jambi.KpiSeed, seed: int, at: datetime) -> float:
    """The value the agency's system reports for `kpi` at simulated time `at`."""
    hour = _hour(at)
    minute = int(at.timestamp() // 60)
    jitter = (unit(seed, kpi.code, minute) - 0.5) * 2 * kpi.noise
    if kpi.shape == "today":
        day = at.astimezone(WIB).date()
        weekend = day.weekday() >= 5
        day_total = kpi.base * (0.15 if weekend else 0.8 + 0.4 * unit(seed, kpi.code, day))
        value = day_total * _office_progress(hour)
    elif kpi.shape == "river":
        days = at.timestamp() / 86400
        swell = math.sin(2 * math.pi * days / 6 + 6 * unit(seed, kpi.code))
        tide = 0.12 * math.sin(2 * math.pi * hour / 12.4)
        value = kpi.base + kpi.amplitude * swell + tide + jitter * kpi.base
    elif kpi.shape == "inverse":
        curve = daily_curve(hour, kpi.peak_hours)
        value = (kpi.base - kpi.amplitude * curve) * (1 + jitter)
    else:
        curve = daily_curve(hour, kpi.peak_hours) if kpi.peak_hours else 0.0
        value = (kpi.base + kpi.amplitude * curve) * (1 + jitter)
    return round(max(0.0, value), kpi.decimals)


@dataclass(frozen=True)
class Reading:
    status: str
    message: str


def service_status(svc: jambi.ServiceSeed, seed: int, at: datetime) -> Reading:
    """The status a service's own monitoring reports at simulated time `at`."""
    local = at.astimezone(WIB)
    if svc.office_hours and (local.weekday() >= 5 or not 7 <= local.hour < 16):
        return Reading("maintenance", "di luar jam layanan / outside service hours")
    slot = int(at.timestamp() // STATUS_SLOT_S)
    draw = unit(seed, svc.code, "status", slot) / svc.flakiness
    if local.hour in (1, 2) and draw < 0.03:
        return Reading("maintenance", "pemeliharaan terjadwal / scheduled maintenance")
    if draw < 0.008:
        return Reading("down", "tidak dapat terhubung ke server aplikasi / application unreachable")
    if draw < 0.025:
        secs = 2 + 6 * unit(seed, svc.code, "slow", slot)
        return Reading("degraded", f"respons lambat {secs:.1f} s / slow responses")
    return Reading("up", "normal")


def agency_silent(agency: jambi.AgencySeed, seed: int, at: datetime) -> bool:
    """Whether the agency's gateway is offline (nothing pushed: the wall shows stale)."""
    slot = int(at.timestamp() // SILENCE_SLOT_S)
    return unit(seed, agency.code, "silent", slot) < 0.01


def incident_for(agency: jambi.AgencySeed, seed: int, slot: int) -> dict[str, Any] | None:
    """The incident `agency` reports in simulated slot `slot` (docs/incidents.md), if any."""
    if not agency.incidents or unit(seed, agency.code, "incident", slot) >= agency.incident_rate:
        return None
    template = agency.incidents[int(unit(seed, agency.code, "tpl", slot) * len(agency.incidents))]
    place = geo.find_kecamatan(template.kecamatan) if template.kecamatan else None
    if place is None:
        place = geo.KECAMATAN[int(unit(seed, agency.code, "kec", slot) * len(geo.KECAMATAN))]
    return {
        "external_id": f"demo-{agency.code}-{slot}",
        "title": template.title,
        "category": template.category,
        "severity": template.severity,
        "description": template.description or f"Laporan {agency.name} (simulasi JCOC).",
        "kecamatan": place.name,
        "lat": round(place.lat + (unit(seed, agency.code, "lat", slot) - 0.5) * 0.01, 5),
        "lon": round(place.lon + (unit(seed, agency.code, "lon", slot) - 0.5) * 0.01, 5),
    }


@dataclass
class _Due:
    """When each service / KPI of one agency reports next (simulated time)."""

    next_at: dict[str, datetime] = field(default_factory=dict)

    def take(self, code: str, at: datetime, every_s: float, seed: int) -> bool:
        due = self.next_at.get(code)
        if due is not None and at < due:
            return False
        spread = 0.8 + 0.4 * unit(seed, code, "every", int(at.timestamp()))
        self.next_at[code] = at + timedelta(seconds=every_s * spread)
        return True


class AgencySimulator:
    """Pushes every agency's statuses, KPIs and incidents with the agency's own key."""

    def __init__(
        self,
        client: PushClient,
        keys: dict[str, str],
        *,
        seed: int,
        clock: SimClock,
        agencies: tuple[jambi.AgencySeed, ...] = jambi.AGENCIES,
    ) -> None:
        self.client = client
        self.keys = keys
        self.seed = seed
        self.clock = clock
        self.agencies = [a for a in agencies if a.code in keys]
        self._due = {a.code: _Due() for a in self.agencies}
        self._incident_slot: int | None = None

    def tick_seconds(self) -> float:
        """Real seconds between two rounds: fast enough for the shortest report interval."""
        return min(5.0, max(0.5, 15.0 / self.clock.speed))

    async def run(self, stop: asyncio.Event) -> None:
        """Push until `stop` is set (a round in flight is finished, not cut off)."""
        log.info("demo agencies: %d agencies pushing", len(self.agencies))
        while not stop.is_set():
            started = time.monotonic()
            await self.round()
            elapsed = time.monotonic() - started
            await pause(stop, max(0.05, self.tick_seconds() - elapsed))

    async def round(self) -> None:
        """One round: every agency pushes what is due now."""
        at = self.clock.now()
        slot = int(at.timestamp() // INCIDENT_SLOT_S)
        new_slot = slot != self._incident_slot
        self._incident_slot = slot
        await asyncio.gather(*(self._agency_round(a, at, slot, new_slot) for a in self.agencies))

    async def _agency_round(
        self, agency: jambi.AgencySeed, at: datetime, slot: int, new_slot: bool
    ) -> None:
        if agency_silent(agency, self.seed, at):
            return
        key = self.keys[agency.code]
        now = datetime.now(UTC)
        stamp = now.isoformat()
        millis = int(now.timestamp() * 1000)
        due = self._due[agency.code]
        events = []
        for svc in agency.services:
            if due.take(svc.code, at, svc.report_s, self.seed):
                reading = service_status(svc, self.seed, at)
                events.append(
                    {
                        "service": svc.code,
                        "status": reading.status,
                        "time": stamp,
                        "message": reading.message,
                        "id": f"{svc.code}-{millis}",
                    }
                )
        samples = [
            {
                "kpi": kpi.code,
                "value": kpi_value(kpi, self.seed, at),
                "time": stamp,
                "id": f"{kpi.code}-{millis}",
            }
            for kpi in agency.kpis
            if due.take(kpi.code, at, kpi.report_s, self.seed)
        ]
        await self.client.push("/api/v1/status", key, "events", events, owner=agency.code)
        await self.client.push("/api/v1/metrics", key, "samples", samples, owner=agency.code)
        incident = incident_for(agency, self.seed, slot) if new_slot else None
        if incident is not None:
            await self.client.post("/api/v1/incidents", key, incident)
