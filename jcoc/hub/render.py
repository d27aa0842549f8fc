"""Pure functions turning the hub's facts into the items clients see (docs/hub-protocol.md)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from jcoc.hub.model import (
    CameraFacts,
    CityFacts,
    IncidentFacts,
    KpiFacts,
    ServiceFacts,
    parse_time,
)
from jcoc.status.models import DerivedStatus
from jcoc.status.service import derive_status, stale_since

Item = dict[str, Any]
# An SLA clock with less than this share of its time left is "due soon".
DUE_SOON_SHARE = 0.25


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def stale_during(item: Item, outage_since: datetime) -> Item:
    """The item as shown while the hub has lost a source: stale, since the loss at the latest."""
    own = parse_time(item.get("stale_since"))
    since = min(own, outage_since) if own is not None else outage_since
    return {**item, "stale": True, "stale_since": since.isoformat()}


def camera_stale(c: CameraFacts, now: datetime) -> bool:
    """No metric from the camera for longer than its stale period."""
    return c.time is None or (now - c.time).total_seconds() > c.stale_after_s


def _availability(total: int, down: int) -> float | None:
    return round(1 - down / total, 4) if total else None


def service_item(s: ServiceFacts, now: datetime) -> Item:
    status = derive_status(
        reported=s.reported, last_time=s.time, expected_interval_s=s.expected_interval_s, now=now
    )
    stale = status == DerivedStatus.stale
    total, down = s.bucket_counts(now)
    since = stale_since(last_time=s.time, expected_interval_s=s.expected_interval_s)
    return {
        "service": s.code,
        "name": s.name,
        "agency": s.agency,
        "status": str(status),
        "reported_status": s.reported,
        "message": s.message,
        "time": iso(s.time),
        "latency_ms": s.latency_ms,
        "availability_24h": _availability(total, down),
        "stale": stale,
        "stale_since": iso(since) if stale else None,
    }


def agency_item(code: str, name: str, facts: CityFacts, services: dict[str, Item]) -> Item:
    mine = sorted(c for c, s in facts.services.items() if s.agency == code)
    counts = Counter(services[c]["status"] for c in mine if c in services)
    return {
        "agency": code,
        "name": name,
        "counts": dict(sorted(counts.items())),
        "availability_24h": _pooled([facts.services[c] for c in mine], services),
        "services": mine,
        "stale": False,
        "stale_since": None,
    }


def _pooled(services: list[ServiceFacts], items: dict[str, Item]) -> float | None:
    """Availability over the pooled buckets of several services."""
    values = [
        (item["availability_24h"], len(s.buckets))
        for s in services
        if (item := items.get(s.code)) and item["availability_24h"] is not None
    ]
    weight = sum(w for _, w in values)
    return round(sum(v * w for v, w in values) / weight, 4) if weight else None


def sla(inc: IncidentFacts, now: datetime) -> dict[str, Any]:
    """Which SLA clock runs (ack, then resolve) and whether it is ok, due soon or breached."""
    if inc.acknowledged_at is None and inc.status == "open":
        phase, due = "ack", inc.ack_due_at
    else:
        phase, due = "resolve", inc.resolve_due_at
    state = "ok"
    if due is not None:
        if now >= due:
            state = "breached"
        else:
            span = due - (inc.opened_at or due)
            if due - now <= max(span * DUE_SOON_SHARE, timedelta(seconds=0)):
                state = "due_soon"
    return {"state": state, "phase": phase, "due_at": iso(due)}


def incident_item(inc: IncidentFacts, now: datetime) -> Item:
    return {
        "id": inc.id,
        "title": inc.title,
        "category": inc.category,
        "severity": inc.severity,
        "status": inc.status,
        "agency": inc.agency,
        "kecamatan": inc.kecamatan,
        "lat": inc.lat,
        "lon": inc.lon,
        "opened_at": iso(inc.opened_at),
        "acknowledged_at": iso(inc.acknowledged_at),
        "ack_due_at": iso(inc.ack_due_at),
        "resolve_due_at": iso(inc.resolve_due_at),
        "sla": sla(inc, now),
        "stale": False,
        "stale_since": None,
    }


def camera_item(c: CameraFacts, now: datetime) -> Item:
    stale = camera_stale(c, now)
    since = c.time + timedelta(seconds=c.stale_after_s) if c.time is not None else None
    return {
        "camera": c.code,
        "name": c.name,
        "kecamatan": c.kecamatan,
        "lat": c.lat,
        "lon": c.lon,
        "health": c.health,
        "online": c.online,
        "time": iso(c.time),
        "fps": c.fps,
        "motion": c.motion,
        "stale": stale,
        "stale_since": iso(since) if stale else None,
    }


def kpi_level(k: KpiFacts, value: float | None) -> str:
    if value is None:
        return "ok"

    def beyond(limit: float | None) -> bool:
        if limit is None:
            return False
        return value >= limit if k.higher_is_worse else value <= limit

    return "crit" if beyond(k.crit_at) else "warn" if beyond(k.warn_at) else "ok"


def kpi_item(k: KpiFacts, now: datetime) -> Item:
    last = k.trend[-1] if k.trend else None
    time, value = (last[0], last[1]) if last else (None, None)
    stale = time is None or (now - time).total_seconds() > k.expected_interval_s
    since = time + timedelta(seconds=k.expected_interval_s) if time is not None else None
    return {
        "kpi": k.code,
        "name": k.name,
        "agency": k.agency,
        "unit": k.unit,
        "value": value,
        "time": iso(time),
        "level": kpi_level(k, value),
        "trend": [[iso(t), v] for t, v in k.trend],
        "stale": stale,
        "stale_since": iso(since) if stale else None,
    }


def summary_item(facts: CityFacts, topics: dict[str, dict[str, Item]], now: datetime) -> Item:
    """City-wide counts; `time` is the newest report among the sources it counts."""
    statuses = Counter({s: 0 for s in DerivedStatus})
    statuses.update(item["status"] for item in topics["services"].values())
    incidents = [i for i in topics["incidents"].values()]
    # From the facts, not the items: during an outage every item is stale, but the counts
    # stay the last known picture (the summary item itself is marked stale then).
    cameras = Counter("stale" if camera_stale(c, now) else c.health for c in facts.cameras.values())
    times = [s.time for s in facts.services.values() if s.time is not None]
    times += [c.time for c in facts.cameras.values() if c.time is not None]
    times += [k.trend[-1][0] for k in facts.kpis.values() if k.trend]
    return {
        "services": dict(statuses),
        "incidents": {
            "open": len(incidents),
            "by_severity": {
                str(sev): sum(1 for i in incidents if i["severity"] == sev) for sev in (1, 2, 3, 4)
            },
            "breached": sum(1 for i in incidents if i["sla"]["state"] == "breached"),
            "due_soon": sum(1 for i in incidents if i["sla"]["state"] == "due_soon"),
        },
        "cameras": dict(sorted(cameras.items())),
        "kpis": dict(Counter(item["level"] for item in topics["kpis"].values())),
        "availability_24h": _pooled(list(facts.services.values()), topics["services"]),
        "time": iso(max(times, default=None)),
        "stale": False,
        "stale_since": None,
    }
