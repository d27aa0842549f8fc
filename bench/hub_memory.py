"""Memory per idle websocket connection vs a bare `websockets` server: `python -m bench.hub_memory`.

Server RSS after 1000 idle, subscribed connections minus RSS after 20 (code paths warm),
divided by the 980 extra connections. Target: <= 2x the bare server.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from bench.hub_harness import Clients, server

WARM, TOTAL = 20, 1000
TARGET = 2.0


async def measure(kind: str) -> float:
    """Server bytes per idle connection."""
    with server(kind) as srv:
        group = Clients()
        await group.open(srv.ws_url, WARM, ["summary"])
        await asyncio.sleep(1)
        before = srv.rss_bytes()
        await group.open(srv.ws_url, TOTAL - WARM, ["summary"])
        await asyncio.sleep(1)
        per_conn = (srv.rss_bytes() - before) / (TOTAL - WARM)
        await group.close()
        print(f"{kind}: {per_conn / 1024:.1f} KiB per connection", file=sys.stderr)
        return per_conn


async def _run() -> list[dict[str, Any]]:
    ours, base = await measure("hub"), await measure("baseline")
    return [
        {
            "benchmark": f"memory per idle websocket connection ({TOTAL} open)",
            "ours": round(ours / 1024, 1),
            "baseline": round(base / 1024, 1),
            "unit": "KiB",
            "ratio": round(ours / base, 2) if base > 0 else None,
            "target": f"<= {TARGET:g}x",
        }
    ]


def run() -> list[dict[str, Any]]:
    return asyncio.run(_run())


if __name__ == "__main__":
    for row in run():
        print(row)
