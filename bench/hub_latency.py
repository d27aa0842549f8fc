"""Publish -> websocket delivery latency of the hub: `python -m bench.hub_latency`.

The same status messages at the same rate reach 1, 100 and 1000 subscribed connections of
the real app (bus -> hub -> /ws) and of a bare `websockets.broadcast()` server; each
frame's arrival is timed against its send time. Target: hub p99 <= 3x the bare server's.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from bench.hub_harness import Clients, percentile, publish, server, wait_received

# (clients, messages, messages per second): one client process keeps up with 1000 x 2/s.
RUNS = [(1, 200, 50.0), (100, 100, 20.0), (1000, 20, 2.0)]
TARGET = 3.0


async def measure(kind: str) -> dict[int, list[float]]:
    """Latencies (s) per client count, all runs against one server of `kind`."""
    results: dict[int, list[float]] = {}
    with server(kind) as srv:
        for clients, count, rate in RUNS:
            group = Clients()
            await group.open(srv.ws_url, clients, ["services"])
            group.start_reading()
            await publish(srv, 5, 10.0)  # warm up
            await wait_received(group, 5 * clients, timeout=10)
            await asyncio.sleep(1)  # let start-up work (first ticks of every component) pass
            group.latencies.clear()
            group.received = 0
            await publish(srv, count, rate)
            await wait_received(group, count * clients)
            await group.close()
            print(
                f"{kind} {clients} clients: {group.received}/{count * clients} frames, "
                f"p50 {percentile(group.latencies, 0.5) * 1000:.1f} ms "
                f"p99 {percentile(group.latencies, 0.99) * 1000:.1f} ms",
                file=sys.stderr,
            )
            results[clients] = group.latencies
    return results


async def _run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    hub, bare = await measure("hub"), await measure("baseline")
    for clients, _, rate in RUNS:
        ours, base = hub[clients], bare[clients]
        for q, label in ((0.5, "p50"), (0.99, "p99")):
            o, b = percentile(ours, q) * 1000, percentile(base, q) * 1000
            rows.append(
                {
                    "benchmark": f"hub publish->ws {label}, {clients} clients @ {rate:g}/s",
                    "ours": round(o, 2),
                    "baseline": round(b, 2),
                    "unit": "ms",
                    "ratio": round(o / b, 2) if b else None,
                    "target": f"<= {TARGET:g}x" if label == "p99" else "",
                }
            )
    return rows


def run() -> list[dict[str, Any]]:
    return asyncio.run(_run())


if __name__ == "__main__":
    for row in run():
        print(row)
