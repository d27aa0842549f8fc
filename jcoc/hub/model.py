"""The facts the hub holds about each entity (plain data, no I/O, no rendering)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# Availability is counted in buckets of this width: a bucket with any `down` report is down.
BUCKET = timedelta(minutes=5)
WINDOW = timedelta(hours=24)
TREND_POINTS = 20
# A camera with no metric for this long (or ten sampling periods, if longer) is stale.
CAMERA_STALE_S = 60.0
OPEN_INCIDENT_STATUSES = frozenset({"open", "acknowledged", "in_progress"})


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO string or datetime (None stays None)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def bucket_of(time: datetime) -> datetime:
    """Start of the availability bucket holding `time`."""
    seconds = int(BUCKET.total_seconds())
    epoch = int(time.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


@dataclass
class ServiceFacts:
    code: str
    name: str
    agency: str
    expected_interval_s: int
    reported: str | None = None
    message: str = ""
    time: datetime | None = None
    latency_ms: float | None = None
    # bucket start -> whether the service was reported down in it
    buckets: dict[datetime, bool] = field(default_factory=dict)

    def report(
        self, *, status: str, time: datetime, message: str, latency_ms: float | None
    ) -> None:
        """Record one status report (an older report only counts for availability)."""
        key = bucket_of(time)
        self.buckets[key] = self.buckets.get(key, False) or status == "down"
        if self.time is None or time >= self.time:
            self.reported, self.time = status, time
            self.message, self.latency_ms = message, latency_ms

    def prune(self, now: datetime) -> None:
        """Forget buckets older than the availability window."""
        cutoff = now - WINDOW
        for key in [k for k in self.buckets if k < cutoff]:
            del self.buckets[key]

    def bucket_counts(self, now: datetime) -> tuple[int, int]:
        """(reported buckets, down buckets) within the window."""
        cutoff = now - WINDOW
        total = down = 0
        for key, is_down in self.buckets.items():
            if key >= cutoff:
                total += 1
                down += is_down
        return total, down


@dataclass
class CameraFacts:
    code: str
    name: str
    kecamatan: str
    lat: float | None
    lon: float | None
    sample_fps: float
    health: str = "unknown"
    online: bool = False
    time: datetime | None = None
    fps: float | None = None
    motion: float | None = None

    @property
    def stale_after_s(self) -> float:
        return max(CAMERA_STALE_S, 10.0 / self.sample_fps if self.sample_fps > 0 else 0.0)


@dataclass
class KpiFacts:
    code: str
    name: str
    agency: str
    unit: str
    warn_at: float | None
    crit_at: float | None
    higher_is_worse: bool
    expected_interval_s: int
    trend: list[tuple[datetime, float]] = field(default_factory=list)

    def add(self, time: datetime, value: float) -> None:
        """Insert a sample in time order, keeping the newest TREND_POINTS."""
        self.trend = [p for p in self.trend if p[0] != time]
        self.trend.append((time, value))
        self.trend.sort(key=lambda p: p[0])
        del self.trend[:-TREND_POINTS]


@dataclass
class IncidentFacts:
    id: str
    title: str
    category: str
    severity: int
    status: str
    agency: str | None
    kecamatan: str
    lat: float | None
    lon: float | None
    opened_at: datetime | None
    acknowledged_at: datetime | None
    ack_due_at: datetime | None
    resolve_due_at: datetime | None

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> IncidentFacts:
        """From an `incident` bus message's incident object (tolerates extra/missing keys)."""
        agency = data.get("agency")
        if isinstance(agency, dict):
            agency = agency.get("code")
        agency = agency or data.get("agency_code")
        sla = data.get("sla")
        if not isinstance(sla, dict):
            sla = {}
        return cls(
            id=str(data["id"]),
            title=str(data.get("title", "")),
            category=str(data.get("category", "other")),
            severity=int(data.get("severity", 3)),
            status=str(data.get("status", "open")),
            agency=str(agency) if agency else None,
            kecamatan=str(data.get("kecamatan") or ""),
            lat=data.get("lat"),
            lon=data.get("lon"),
            opened_at=parse_time(data.get("opened_at")),
            acknowledged_at=parse_time(data.get("acknowledged_at")),
            ack_due_at=parse_time(data.get("ack_due_at") or sla.get("ack_due_at")),
            resolve_due_at=parse_time(data.get("resolve_due_at") or sla.get("resolve_due_at")),
        )


@dataclass
class CityFacts:
    """Everything the hub knows; rebuilt from the database, updated from the bus."""

    agencies: dict[str, str] = field(default_factory=dict)  # code -> name
    services: dict[str, ServiceFacts] = field(default_factory=dict)
    cameras: dict[str, CameraFacts] = field(default_factory=dict)
    kpis: dict[str, KpiFacts] = field(default_factory=dict)
    incidents: dict[str, IncidentFacts] = field(default_factory=dict)
