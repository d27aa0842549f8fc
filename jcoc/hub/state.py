"""The live city state: facts plus the rendered items, and the changes each fact causes.

Pure and synchronous: the hub feeds it bus messages and clock ticks and broadcasts the
changes it returns. An item equal to what clients already have produces no change.
While `outage_since` is set (the hub lost the bus or the database) every item is stored
stale, with `stale_since` no later than the loss.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jcoc.hub import render
from jcoc.hub.model import OPEN_INCIDENT_STATUSES, CityFacts, IncidentFacts, parse_time
from jcoc.hub.render import Item

TOPICS = ("summary", "services", "agencies", "incidents", "cameras", "kpis")
SUMMARY_KEY = "city"
Change = tuple[str, str, Item | None]


class NeedsReload(Exception):
    """A message refers to something the state does not know yet (reload from the database)."""


class LiveState:
    def __init__(self) -> None:
        self.facts = CityFacts()
        self.items: dict[str, dict[str, Item]] = {t: {} for t in TOPICS}
        self.outage_since: datetime | None = None

    def replace(self, facts: CityFacts, now: datetime) -> list[Change]:
        """Take freshly loaded facts; returns what changed for clients."""
        self.facts = facts
        return self.refresh(now)

    def refresh(self, now: datetime) -> list[Change]:
        """Re-render everything (the clock moved: staleness, SLA states, 24 h windows)."""
        f = self.facts
        for s in f.services.values():
            s.prune(now)
        new: dict[str, dict[str, Item]] = {
            "services": {c: render.service_item(s, now) for c, s in f.services.items()},
            "incidents": {i: render.incident_item(x, now) for i, x in f.incidents.items()},
            "cameras": {c: render.camera_item(x, now) for c, x in f.cameras.items()},
            "kpis": {c: render.kpi_item(k, now) for c, k in f.kpis.items()},
        }
        new["agencies"] = {
            code: render.agency_item(code, name, f, new["services"])
            for code, name in f.agencies.items()
        }
        changes: list[Change] = []
        for topic in ("services", "agencies", "incidents", "cameras", "kpis"):
            current = self.items[topic]
            for key in [k for k in current if k not in new[topic]]:
                self._set(topic, key, None, changes)
            for key, item in new[topic].items():
                self._set(topic, key, item, changes)
        self._set("summary", SUMMARY_KEY, render.summary_item(f, self.items, now), changes)
        return changes

    def apply(self, channel: str, message: dict[str, Any], now: datetime) -> list[Change]:
        """Apply one bus message; raises NeedsReload for entities not known yet."""
        changes: list[Change] = []
        handler = getattr(self, f"_on_{channel}", None)
        if handler is None:
            return changes
        handler(message, now, changes)
        if changes:
            summary = render.summary_item(self.facts, self.items, now)
            self._set("summary", SUMMARY_KEY, summary, changes)
        return changes

    def _on_status(self, m: dict[str, Any], now: datetime, changes: list[Change]) -> None:
        s = self.facts.services.get(str(m.get("service")))
        time = parse_time(m.get("time"))
        if s is None:
            raise NeedsReload(f"service {m.get('service')!r}")
        if time is None or m.get("status") is None:
            return
        s.report(
            status=str(m["status"]),
            time=time,
            message=str(m.get("message") or ""),
            latency_ms=m.get("latency_ms"),
        )
        self._set("services", s.code, render.service_item(s, now), changes)
        name = self.facts.agencies.get(s.agency, s.agency)
        item = render.agency_item(s.agency, name, self.facts, self.items["services"])
        self._set("agencies", s.agency, item, changes)

    def _on_kpi(self, m: dict[str, Any], now: datetime, changes: list[Change]) -> None:
        k = self.facts.kpis.get(str(m.get("kpi")))
        time = parse_time(m.get("time"))
        if k is None:
            raise NeedsReload(f"kpi {m.get('kpi')!r}")
        if time is None or m.get("value") is None:
            return
        k.add(time, float(m["value"]))
        self._set("kpis", k.code, render.kpi_item(k, now), changes)

    def _on_camera(self, m: dict[str, Any], now: datetime, changes: list[Change]) -> None:
        c = self.facts.cameras.get(str(m.get("camera")))
        time = parse_time(m.get("time"))
        if c is None:
            raise NeedsReload(f"camera {m.get('camera')!r}")
        if time is None or (c.time is not None and time < c.time):
            return
        c.time, c.health = time, str(m.get("health") or "unknown")
        c.online, c.fps, c.motion = bool(m.get("online")), m.get("fps"), m.get("motion")
        self._set("cameras", c.code, render.camera_item(c, now), changes)

    def _on_incident(self, m: dict[str, Any], now: datetime, changes: list[Change]) -> None:
        data = m.get("incident")
        if not isinstance(data, dict) or "id" not in data:
            return
        inc = IncidentFacts.from_message(data)
        if inc.status in OPEN_INCIDENT_STATUSES:
            self.facts.incidents[inc.id] = inc
            self._set("incidents", inc.id, render.incident_item(inc, now), changes)
        else:
            self.facts.incidents.pop(inc.id, None)
            self._set("incidents", inc.id, None, changes)

    def _on_entity(self, m: dict[str, Any], now: datetime, changes: list[Change]) -> None:
        raise NeedsReload(f"{m.get('kind')} {m.get('code')!r} {m.get('action')}")

    def _set(self, topic: str, key: str, item: Item | None, changes: list[Change]) -> None:
        current = self.items[topic]
        if item is not None and self.outage_since is not None:
            item = render.stale_during(item, self.outage_since)
        if item is None:
            if current.pop(key, None) is not None:
                changes.append((topic, key, None))
        elif current.get(key) != item:
            current[key] = item
            changes.append((topic, key, item))
