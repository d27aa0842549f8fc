"""Hub CPU per message per client vs `websockets.broadcast()`: `python -m bench.hub_cpu`.

Server process CPU time while 200 subscribed connections receive 200 status messages,
minus the same server's CPU over an equally long idle period (background ticks), divided
by frames delivered. Target: <= 1.5x the bare `websockets` server.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from bench.hub_harness import Clients, publish, server, wait_received

CLIENTS, MESSAGES, RATE = 200, 200, 40.0
TARGET = 1.5


async def measure(kind: str) -> float:
    """Server CPU microseconds per delivered frame."""
    with server(kind) as srv:
        group = Clients()
        await group.open(srv.ws_url, CLIENTS, ["services"])
        group.start_reading()
        await publish(srv, 5, 10.0)
        await wait_received(group, 5 * CLIENTS, timeout=10)
        await asyncio.sleep(2)
        idle0, t0 = srv.cpu_seconds(), time.monotonic()
        await asyncio.sleep(MESSAGES / RATE)
        idle = (srv.cpu_seconds() - idle0) / (time.monotonic() - t0)
        group.received = 0
        busy0, t0 = srv.cpu_seconds(), time.monotonic()
        await publish(srv, MESSAGES, RATE)
        await wait_received(group, MESSAGES * CLIENTS)
        busy = srv.cpu_seconds() - busy0 - idle * (time.monotonic() - t0)
        await group.close()
        per_frame = busy / max(group.received, 1) * 1e6
        print(f"{kind}: {group.received} frames, {per_frame:.1f} us/frame", file=sys.stderr)
        return per_frame


async def _run() -> list[dict[str, Any]]:
    ours, base = await measure("hub"), await measure("baseline")
    return [
        {
            "benchmark": f"hub CPU per message per client ({CLIENTS} clients)",
            "ours": round(ours, 1),
            "baseline": round(base, 1),
            "unit": "us",
            "ratio": round(ours / base, 2) if base > 0 else None,
            "target": f"<= {TARGET:g}x",
        }
    ]


def run() -> list[dict[str, Any]]:
    return asyncio.run(_run())


if __name__ == "__main__":
    for row in run():
        print(row)
