"""Prometheus metrics at `/metrics` (viewer auth: a kiosk token as Bearer works for scrapers).

Read at scrape time from the hub, the bus and, when the process runs one, the ingest
writer (`app.state.writer.stats`, any numeric attributes), so nothing costs per message.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import asdict, is_dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from jcoc.auth.deps import CurrentViewer

router = APIRouter(tags=["metrics"])


class AppCollector(Collector):
    def __init__(self, state: Any) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        hub = getattr(self.state, "hub", None)
        if hub is not None:
            yield from _hub_metrics(hub)
        bus = getattr(self.state, "bus", None)
        if bus is not None:
            for name, value in asdict(bus.stats).items():
                yield CounterMetricFamily(f"jcoc_bus_{name}", f"Bus messages {name}.", value=value)
            yield GaugeMetricFamily(
                "jcoc_bus_connected", "1 when the bus backend is connected.", value=bus.connected
            )
        writer = getattr(self.state, "writer", None)
        stats = getattr(writer, "stats", None)
        if stats is not None:
            values = (
                asdict(stats)
                if is_dataclass(stats) and not isinstance(stats, type)
                else vars(stats)
            )
            for name, value in values.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    yield GaugeMetricFamily(f"jcoc_writer_{name}", f"Ingest writer {name}.", value)
        # Leader election (jcoc/db/leader.py): 1 in the process running the singleton jobs.
        leader = getattr(self.state, "leader", None)
        if leader is not None:
            yield GaugeMetricFamily(
                "jcoc_leader", "1 when this process runs the singleton jobs.", leader.is_leader
            )


def _hub_metrics(hub: Any) -> Iterator[Metric]:
    s = hub.stats
    yield GaugeMetricFamily("jcoc_hub_connections", "Open websocket connections.", len(hub.clients))
    counters = {
        "connections_accepted": (s.connections_total, "Websocket connections accepted."),
        "messages_sent": (s.sent, "Frames sent to websocket clients."),
        "coalesced": (s.coalesced, "Pending updates replaced by a newer one (slow clients)."),
        "dropped": (s.dropped, "Pending updates dropped for a fresh snapshot (queue full)."),
        "resyncs": (s.resyncs, "Times a client's full queue was replaced by snapshots."),
        "dead_closed": (s.closed_dead, "Connections closed for missing heartbeats."),
        "reloads": (hub.reloads, "Times the live state was rebuilt from the database."),
        "bad_messages": (hub.bad_messages, "Bus messages the hub could not use."),
    }
    for name, (value, doc) in counters.items():
        yield CounterMetricFamily(f"jcoc_hub_{name}", doc, value=value)
    queues = [len(c.queue) for c in hub.clients]
    yield GaugeMetricFamily(
        "jcoc_hub_client_queue_max", "Longest pending queue of any client now.", max(queues or [0])
    )
    yield GaugeMetricFamily(
        "jcoc_hub_client_queue_high_water",
        "Longest pending queue any open client has had.",
        max([c.high_water for c in hub.clients] or [0]),
    )
    yield GaugeMetricFamily("jcoc_hub_seq", "Sequence number of the latest update.", hub.seq)
    yield GaugeMetricFamily("jcoc_hub_bus_connected", "Hub sees the bus.", hub.bus_connected)
    yield GaugeMetricFamily("jcoc_hub_db_connected", "Hub sees the database.", hub.db_connected)
    lags = sorted(s.lags)
    lag = GaugeMetricFamily(
        "jcoc_hub_send_lag_seconds",
        "Time from an update to its send, over the last 4096 sends (frames written to "
        "many clients in one go count once: the oldest, at the end).",
        labels=["quantile"],
    )
    if lags:
        lag.add_metric(["0.5"], statistics.median(lags))
        lag.add_metric(["0.99"], lags[min(len(lags) - 1, int(len(lags) * 0.99))])
    yield lag


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request, _: CurrentViewer) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AppCollector(request.app.state))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
